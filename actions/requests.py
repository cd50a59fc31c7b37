"""Requests that need the customer's account, answered once they are proven: after the
emailed code (identify_form), or again when the customer says yes to "shall I look again?"."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account import summarise
from actions.cancellation import offer_cancellation
from actions.cases import ActionHandToPerson
from actions.identity import ask_for_proof, prove
from actions.own_facts import answer_incident
from actions.plans import offer_plan_change, undo_change
from actions.refunds import REASON_BY_INTENT, assess

FORM_SLOTS = ("identify_email", "identify_code")
Answer = Callable[[CollectingDispatcher, Tracker, str, str], list]

# What each request that needs an identity does once the customer is proven: (dispatcher, tracker, email, intent).
REQUESTS: dict[str, Answer] = {
    **{intent: lambda d, t, email, intent: assess(d, t, email, intent) for intent in REASON_BY_INTENT},
    "check_subscription": lambda d, t, email, intent: summarise(d, t, email),
    "cancel_subscription": lambda d, t, email, intent: offer_cancellation(d, t, email),
    "change_plan": lambda d, t, email, intent: offer_plan_change(d, t, email),
    "undo_change": lambda d, t, email, intent: undo_change(d, t, email),
    "ask_incident_status": lambda d, t, email, intent: answer_incident(d, t, email),
}


def look_again(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, intent: str) -> list[dict[str, Any]]:
    """The customer said yes to "shall I look again?": the last request, afresh (any offer it
    makes is a new one, answered by their next message)."""
    answer = REQUESTS.get(intent)
    if answer is None:
        dispatcher.utter_message(response="utter_anything_else")
        return []
    proof = prove(tracker)
    if proof.email is None:
        return ask_for_proof(dispatcher, proof, intent) + [FollowupAction("identify_form")]
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
