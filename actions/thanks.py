"""Thanks: "you're welcome", and a goodbye too when the customer is leaving ("thanks, bye"); an
answer only acknowledged ("ok noted", "fair enough") gets "okay" rather than "you're welcome"."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.core.farewell import says_thanks, takes_leave


class ActionWelcome(Action):
    def name(self) -> str:
        return "action_welcome"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text")
        leaving, thanked = takes_leave(text), says_thanks(text)
        if leaving:
            dispatcher.utter_message(response="utter_welcome_goodbye" if thanked else "utter_goodbye")
        else:
            dispatcher.utter_message(response="utter_welcome" if thanked else "utter_noted")
        return []
