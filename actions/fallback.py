"""What to do when the assistant does not understand: ask to rephrase, then offer a person."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

MISSES_BEFORE_OFFERING_A_PERSON = 2


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the customer's latest messages in a row were not understood."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        misses += 1
    return misses


class ActionRephraseOrOfferHuman(Action):
    def name(self) -> str:
        return "action_rephrase_or_offer_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if consecutive_misses(tracker) >= MISSES_BEFORE_OFFERING_A_PERSON:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return []
