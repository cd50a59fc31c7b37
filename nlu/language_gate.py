"""The last word of the NLU pipeline on a message not in English (issue 28, class 11).

The intent model knows English only, and another language shares enough letters with it to be
read, confidently, as something it is not: "no hablo inglés, lo siento" came out as a no (0.97),
which would decline an open offer, and "quero falar com uma pessoa" as out of scope, which no one
would be handed to. So after the classifiers, a message the language detector places surely in
another language (nlu/language.py) is not what the model made of it: it asks for a person when
it names one in its language ("mit einer Person sprechen"), thanks or greets when that is all it
says ("Merci beaucoup. Rémy"), and is otherwise not understood (`nlu_fallback`), whose answer
points to a person in that language and in English (actions/unmatched.py). The language is kept
in the parse data (`language`), for the actions to answer in it without detecting it again.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core.languages import LANGUAGE_KEY, asks_for_a_person, small_talk_in
from nlu.language import shared_detector

NOT_UNDERSTOOD, PERSON = "nlu_fallback", "request_human"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageGate(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageGate":
        shared_detector()  # its models load with the model (seconds), not on a customer's first message
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            language = shared_detector().other_language(text) if text else None
            if language is None:
                continue
            intent = PERSON if asks_for_a_person(language, text) else small_talk_in(language, text) or NOT_UNDERSTOOD
            message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
            message.set(LANGUAGE_KEY, language, add_to_output=True)
        return messages
