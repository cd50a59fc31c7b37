"""When no intent fits: the answer for a message in another language or from the company's own
texts (actions/unmatched.py); anything else, what the assistant can help with and a person, and a
second miss in a row says so plainly."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.policy_answers import HUMAN_BUTTON
from actions.topic_questions import answer_in_context, asked_in_context
from actions.unmatched import ReadsUnmatched, language_of, unmatched_reply
from actions.what_if import answer_if_hypothetical

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


class ActionRephraseOrOfferHuman(ReadsUnmatched):
    def name(self) -> str:
        return "action_rephrase_or_offer_human"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        what_if = answer_if_hypothetical(dispatcher, tracker)
        if what_if is not None:
            return what_if
        # a follow-up the model had no intent for
        answered = answer_in_context(dispatcher, tracker) if asked_in_context(tracker) else None
        if answered is not None:
            return answered
        reply = unmatched_reply(tracker.latest_message.get("text") or "", tracker.get_slot("topic"),
                                language_of(tracker))
        # One button only: a "try again" button must not send /affirm, which could confirm an offer.
        if reply:
            text, events = reply
            dispatcher.utter_message(text=text, buttons=HUMAN_BUTTON)
            return events
        if consecutive_misses(tracker) >= MISSES_BEFORE_OFFERING_A_PERSON:
            dispatcher.utter_message(response="utter_offer_human", buttons=HUMAN_BUTTON)
        else:
            dispatcher.utter_message(response="utter_please_rephrase", buttons=HUMAN_BUTTON)
        return []
