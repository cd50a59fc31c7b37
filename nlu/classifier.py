"""The intent classifier `config.yml` names: `nlu.classifier.TfidfIntentClassifier`.

Reads the message's text itself, less a leading "hmm" or "um" (spelling normalised, word and
character n-gram TF-IDF, logistic regression: nlu/text_model.py), so it needs no featurizer
before it. With `sentence_encoder_layers` (config.yml: 6, all of all-MiniLM-L6-v2) it also
embeds the messages its n-grams are unsure of (nlu/sentence_encoder.py); the encoder is called
from here rather than from a featurizer before it because most messages never need it, and a
featurizer would embed every one. Its confidences put the out-of-scope boundary it learned at
0.5, the FallbackClassifier's threshold.
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import bot.core.hesitation
import nlu.sentence_encoder
import nlu.spelling
import nlu.text_model
from nlu.sentence_encoder import LAYERS, shared_encoder
from nlu.text_model import Options, TextModel, what_is_read

RANKED = 10
log = logging.getLogger(__name__)  # training progress, which `bot run` shows (bot/ops/model.py)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = Options()
        return {"C": defaults.C, "word_ngrams": list(defaults.word_ngrams),
                "char_ngrams": list(defaults.char_ngrams), "spelling": defaults.spelling, "folds": defaults.folds,
                "sentence_encoder_layers": 0, "dense_weight": defaults.dense_weight}

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "safetensors", "onnx", "onnxruntime"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa's training cache keys a component by its class's own source; what it trains is
        # written in other modules, whose changes would otherwise reuse a stale cached classifier.
        digest = hashlib.sha256()
        for module in (nlu.text_model, nlu.spelling, nlu.sentence_encoder, bot.core.hesitation):
            digest.update(Path(module.__file__).read_bytes())
        return digest.hexdigest()

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: TextModel | None = None):
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource, self.model = model_storage, resource, model
        layers = self.config["sentence_encoder_layers"]
        if not isinstance(layers, int) or not 0 <= layers <= LAYERS:
            raise ValueError(f"TfidfIntentClassifier: sentence_encoder_layers is a whole number from 0 (none) "
                             f"to {LAYERS}")
        self._encoder = shared_encoder(layers) if layers else None

    def _embed(self, text: str):
        return self._encoder.encode([text])[0]

    def _options(self) -> Options:
        c = self.config
        return Options(C=float(c["C"]), word_ngrams=tuple(c["word_ngrams"]), char_ngrams=tuple(c["char_ngrams"]),
                       spelling=bool(c["spelling"]), folds=int(c["folds"]), dense_weight=float(c["dense_weight"]))

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            raise ValueError("TfidfIntentClassifier needs examples of at least two intents")
        texts, labels = [what_is_read(e.get(TEXT)) for e in examples], [e.get(INTENT) for e in examples]
        started = time.monotonic()
        dense = None
        if self._encoder:
            log.info("embedding %d training messages with the sentence encoder ...", len(texts))
            dense = self._encoder.encode(texts)
            log.info("embedded %d messages in %.0f s", len(texts), time.monotonic() - started)
        log.info("fitting %d intents and learning where out-of-scope begins (%d-fold cross-validation) ...",
                 len(set(labels)), self._options().folds)
        self.model = TextModel.train(texts, labels, self._options(), dense)
        log.info("intent classifier trained in %.0f s", time.monotonic() - started)
        with self._model_storage.write_to(self._resource) as folder:
            self.model.save(folder)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        with model_storage.read_from(resource) as folder:
            classifier = cls(config, model_storage, resource, TextModel.load(folder))
        if classifier.model.needs_embeddings and classifier._encoder is None:
            raise ValueError("this model's intent classifier was trained with sentence embeddings, and "
                             "config.yml's sentence_encoder_layers is 0: retrain")
        return classifier

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is None or not text:
                continue
            ranking = self.model.rank(what_is_read(text), self._embed if self._encoder else None)
            name, confidence = ranking[0]
            message.set(INTENT, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c}
                                             for n, c in ranking[:RANKED]], add_to_output=True)
        return messages
