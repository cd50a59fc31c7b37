"""The NLU pipeline's step that keeps a request for money back when the model only doubts its reason.

"i forgot to cancel and you charged me this morning, can i have a refund" reads forgot_subscription
0.55 and late_cancellation 0.48: the FallbackClassifier calls that ambiguous and the message would
not be understood, though it surely asks for money back. The rules decide a refund from the account
(when the charge was, whether it was cancelled), the reason only names which rule the customer
invokes, and every refund waits for a yes to the offer. So when the doubt is only between reasons
for money back, and together they are as sure as the mail channel needs to act
(bot/core/clauses.py `money_back_despite_doubt`), the model's first reason stands.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.core.clauses import NOT_SURE, money_back_despite_doubt


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MoneyBackGate(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "MoneyBackGate":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != NOT_SURE:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != NOT_SURE]
            kept = money_back_despite_doubt(ranking)
            if kept is not None:
                message.set(INTENT, {INTENT_NAME_KEY: kept[0], PREDICTED_CONFIDENCE_KEY: kept[1]}, add_to_output=True)
        return messages
