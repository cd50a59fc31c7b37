"""When the assistant does not understand: say what it can help with and offer a person; a
second miss in a row says so plainly."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import CustomerAction
from actions.policy_answers import HUMAN_BUTTON

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


class ActionRephraseOrOfferHuman(CustomerAction):
    def name(self) -> str:
        return "action_rephrase_or_offer_human"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # One button only: a "try again" button must not send /affirm, which could confirm an offer.
        if consecutive_misses(tracker) >= MISSES_BEFORE_OFFERING_A_PERSON:
            dispatcher.utter_message(response="utter_offer_human", buttons=HUMAN_BUTTON)
        else:
            dispatcher.utter_message(response="utter_please_rephrase", buttons=HUMAN_BUTTON)
        return []
