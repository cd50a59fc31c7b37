"""The NLU pipeline's step that gives the company's texts their say (issue 28, class 6).

The intent model knows 27 things customers ask; the terms answer many more. A question it put
without conviction into an intent whose answer is general or can still be declined ("can you
close my account whenever you want?" read as a cancellation, "do you guarantee the service is
always up?" as a billing question) goes to the knowledge base when the texts answer it clearly
(bot/core/asking.py decides): it becomes `out_of_scope`, which the assistant answers from the
texts (actions/unmatched.py). A message it did not understand stays so (the fallback answers it
from the texts, as before), marked with the passage that answers it (`texts_answer`): by email a
sentence that was "not understood" went to a person even when the terms answered it.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core.asking import TEXTS_ANSWER_KEY, texts_may_answer, texts_may_correct
from bot.core.clauses import NOT_SURE, OFF_TOPIC
from bot.core.knowledge import KnowledgeError
from bot.settings import load_knowledge
from nlu.knowledge import shared_index

log = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KnowledgeGate(GraphComponent):
    def __init__(self) -> None:
        # Which passages each intent answers with: read from the configuration, not the index, so a
        # message the texts are not asked about embeds nothing (the index is built at its first use).
        try:
            self._intent_passages = dict(load_knowledge().intent_passages)
        except KnowledgeError as error:
            log.error("the knowledge base can't correct the intents: %s", error)
            self._intent_passages = {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "KnowledgeGate":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text, intent = message.get(TEXT), message.get(INTENT) or {}
            name, confidence = intent.get(INTENT_NAME_KEY), intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0
            needed = texts_may_answer(name, confidence, text or "", not_understood=NOT_SURE) if text else None
            own = self._intent_passages.get(name, frozenset()) if needed is None else frozenset()
            if needed is None and own:
                needed = texts_may_correct(own, confidence, text)
            if needed is None:
                continue  # most messages: the texts are not asked, nothing is embedded again
            answer = shared_index().answer(text)
            if answer is None or answer.confidence < needed or answer.passage.key in own:
                continue
            if intent.get(INTENT_NAME_KEY) == NOT_SURE:  # still not understood: the fallback answers from the texts
                message.set(TEXTS_ANSWER_KEY, answer.passage.key, add_to_output=True)
            else:
                message.set(INTENT, {INTENT_NAME_KEY: OFF_TOPIC, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
        return messages
