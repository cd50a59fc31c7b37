"""When no intent fits: the answer for a message in another language or from the company's own
texts (actions/unmatched.py); while the conversation has an open case, that its people read this
too ("can I add a note that I'm travelling?" needs no rephrasing: it is already with them);
anything else, what the assistant can help with and a person, and a second miss in a row says so
plainly. By email, nothing: a person answers it (channels/email.py)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import identify_then, prove
from actions.offer_turns import person_offered
from actions.own_facts import answer_account, answer_incident, answer_refund_status
from actions.policy_answers import HUMAN_BUTTON, answer_unmatched, told_the_open_case_has_it
from actions.unmatched import ReadsUnmatched
from bot.core.conversation_ids import EMAIL
from bot.core.facts import asks_if_known, facts_asked
from bot.core.refund_status import asks_refund_status

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
        text, proof = tracker.latest_message.get("text"), prove(tracker)
        if asks_if_known(text):  # "is it just me?": where known problems stand (a visitor: the code first)
            return answer_incident(dispatcher, tracker, proof.email) if proof.email else \
                identify_then(dispatcher, tracker, proof, "ask_incident_status")
        if asks_refund_status(text) and proof.email:  # "where is my refund?": the one made, not a new request
            return answer_refund_status(dispatcher, tracker, proof.email)
        if proof.email and facts_asked(text) == ("plan",) and (tracker.get_slot("topic") or {}).get("kind") in \
                ("account", "trial"):  # "and which plan is it after that?" about their trial or payment
            return answer_account(dispatcher, tracker, proof.email)
        answered = answer_unmatched(dispatcher, tracker, unmatched=True)
        if answered is not None:
            return answered
        if tracker.get_latest_input_channel() == EMAIL:
            # Nothing said: the mail channel hands what no one answered to a person by itself, with
            # its case number in the reply (channels/email.py); "say it another way" is for a chat.
            return []
        if told_the_open_case_has_it(dispatcher, tracker):  # its people already read what is written here
            return []
        if consecutive_misses(tracker) >= MISSES_BEFORE_OFFERING_A_PERSON:
            dispatcher.utter_message(response="utter_offer_human", buttons=HUMAN_BUTTON)
        else:
            dispatcher.utter_message(response="utter_please_rephrase", buttons=HUMAN_BUTTON)
        return person_offered()  # both ask whether they'd like a person: "yes" is the button
