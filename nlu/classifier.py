"""The intent classifier `config.yml` names: `nlu.classifier.TfidfIntentClassifier`.

Reads the message's text itself (spelling normalised, word and character n-gram TF-IDF,
logistic regression: nlu/text_model.py), so it needs no featurizer before it. Its
confidences put the out-of-scope boundary it learned at 0.5, the FallbackClassifier's
threshold.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.text_model import Options, TextModel

RANKED = 10


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = Options()
        return {"C": defaults.C, "word_ngrams": list(defaults.word_ngrams),
                "char_ngrams": list(defaults.char_ngrams), "spelling": defaults.spelling, "folds": defaults.folds}

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: TextModel | None = None):
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource, self.model = model_storage, resource, model

    def _options(self) -> Options:
        c = self.config
        return Options(C=float(c["C"]), word_ngrams=tuple(c["word_ngrams"]), char_ngrams=tuple(c["char_ngrams"]),
                       spelling=bool(c["spelling"]), folds=int(c["folds"]))

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            raise ValueError("TfidfIntentClassifier needs examples of at least two intents")
        self.model = TextModel.train([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples],
                                     self._options())
        with self._model_storage.write_to(self._resource) as folder:
            self.model.save(folder)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        with model_storage.read_from(resource) as folder:
            return cls(config, model_storage, resource, TextModel.load(folder))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is None or not text:
                continue
            ranking = self.model.rank(text)
            name, confidence = ranking[0]
            message.set(INTENT, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c}
                                             for n, c in ranking[:RANKED]], add_to_output=True)
        return messages
