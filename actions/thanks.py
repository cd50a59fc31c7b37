"""Thanks: "you're welcome", and a goodbye too when the customer is leaving ("thanks, bye")."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.core.farewell import takes_leave


class ActionWelcome(Action):
    def name(self) -> str:
        return "action_welcome"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        leaving = takes_leave(tracker.latest_message.get("text"))
        dispatcher.utter_message(response="utter_welcome_goodbye" if leaving else "utter_welcome")
        return []
