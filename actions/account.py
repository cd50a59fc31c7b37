"""Questions about the customer's own subscription."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import requests
from actions.customer_action import CustomerAction
from actions.identity import answer_when_identified
from actions.own_facts import answer_account


def summarise(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    """The facts asked for ("when is my next bill?"), or the whole summary (actions/own_facts.py)."""
    return answer_account(dispatcher, tracker, email)


class ActionCheckSubscription(CustomerAction):
    def name(self) -> str:
        return "action_check_subscription"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(dispatcher, tracker, lambda email: summarise(dispatcher, tracker, email))


requests.register("check_subscription",
                  lambda dispatcher, tracker, email, intent: summarise(dispatcher, tracker, email))
