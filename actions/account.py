"""Questions about the customer's own subscription, answered from their account."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import verified_email


class ActionCheckSubscription(Action):
    def name(self) -> str:
        return "action_check_subscription"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        from bot.repository import UnknownCustomer
        from bot.services import account_summary

        email = verified_email(tracker)
        if email is None:
            dispatcher.utter_message(response="utter_need_identity")
            return []
        try:
            dispatcher.utter_message(text=account_summary(email, now=datetime.now(timezone.utc)))
        except UnknownCustomer:
            dispatcher.utter_message(response="utter_no_account")
        return []
