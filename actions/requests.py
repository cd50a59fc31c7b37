"""Requests that need the customer's account, answered once they are proven: after the
emailed code (identify_form), or again when the customer says yes to "shall I look again?".

Each module that answers such a request registers it here when it is imported (refunds.py,
account.py, cancellation.py, plans.py; actions/__init__.py imports them all), so this
module needs none of them."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cases import ActionHandToPerson
from actions.identity import identify_then, prove
from actions.offer_turns import PERSON_OFFERED

FORM_SLOTS = ("identify_email", "identify_code")
Answer = Callable[[CollectingDispatcher, Tracker, str, str], list]

# What each request that needs an identity does once the customer is proven: (dispatcher, tracker, email, intent).
REQUESTS: dict[str, Answer] = {}


def register(intent: str, answer: Answer) -> None:
    if REQUESTS.get(intent, answer) is not answer:
        raise ValueError(f"the request {intent} is registered twice")
    REQUESTS[intent] = answer


def answer_request(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, intent: str) -> list[dict[str, Any]]:
    """The registered answer to `intent` for a proven customer."""
    try:
        answer = REQUESTS[intent]
    except KeyError:
        raise LookupError(f"no answer registered for the request {intent}: is its module imported by "
                          "actions/__init__.py?") from None
    return answer(dispatcher, tracker, email, intent)


def look_again(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, intent: str) -> list[dict[str, Any]]:
    """The customer said yes to "shall I look again?": the last request, afresh (any offer it
    makes is a new one, answered by their next message); or to "would you like a person?"."""
    if intent == PERSON_OFFERED:  # "would you like a person?" "yes": no account is needed for that
        return ActionHandToPerson().respond(dispatcher, tracker, domain)
    answer = REQUESTS.get(intent)
    if answer is None:
        dispatcher.utter_message(response="utter_anything_else")
        return []
    proof = prove(tracker)
    if proof.email is None:
        return identify_then(dispatcher, tracker, proof, intent)
    return answer(dispatcher, tracker, proof.email, intent)


class ActionResumeRequest(Action):
    """After the identification form: answer what the customer asked before it."""

    def name(self) -> str:
        return "action_resume_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        done = [SlotSet("needs_identity", False), SlotSet("pending_request", None),
                *(SlotSet(slot, None) for slot in FORM_SLOTS), SlotSet("identify_outcome", None)]
        pending = tracker.get_slot("pending_request")
        if pending == "request_human":  # they chose a person over the code: no identity needed for that
            return done + ActionHandToPerson().respond(dispatcher, tracker, domain)
        email = prove(tracker).email
        if email is None:
            outcome = tracker.get_slot("identify_outcome")
            dispatcher.utter_message(response="utter_identify_stopped" if outcome == "stopped"
                                     else "utter_need_identity")
            return done
        answer = REQUESTS.get(pending)
        if answer is None:
            dispatcher.utter_message(response="utter_identified_what_next")
            return done
        return done + answer(dispatcher, tracker, email, pending)
