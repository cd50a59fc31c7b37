"""Questions about the customer's own subscription, and resuming after identification."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cancellation import offer_cancellation
from actions.identity import answer_when_identified, verified_email
from actions.plans import offer_plan_change
from actions.refunds import REASON_BY_INTENT, assess
from bot.app.account import account_summary
from bot.clock import now_utc
from bot.db.repository import UnknownCustomer


def summarise(dispatcher: CollectingDispatcher, email: str) -> list[dict[str, Any]]:
    try:
        dispatcher.utter_message(text=account_summary(email, now=now_utc()))
    except UnknownCustomer:
        dispatcher.utter_message(response="utter_no_account")
    return []


class ActionCheckSubscription(Action):
    def name(self) -> str:
        return "action_check_subscription"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(tracker, lambda email: summarise(dispatcher, email))


class ActionResumeRequest(Action):
    """After the identification form: answer what the customer asked before it."""

    def name(self) -> str:
        return "action_resume_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        done = [SlotSet("needs_identity", False), SlotSet("pending_request", None),
                SlotSet("identify_email", None), SlotSet("identify_code", None)]
        email = verified_email(tracker)
        if email is None:  # the form ended without a verified code
            dispatcher.utter_message(response="utter_need_identity")
            return done
        answer = RESUMABLE.get(tracker.get_slot("pending_request"))
        if answer is None:
            dispatcher.utter_message(response="utter_identified_what_next")
            return done
        return done + answer(dispatcher, tracker, email)


def _resume_refund(dispatcher, tracker, email):
    return assess(dispatcher, tracker, email, tracker.get_slot("pending_request"))


def _resume_cancel(dispatcher, tracker, email):
    return offer_cancellation(dispatcher, email)


def _resume_plan_change(dispatcher, tracker, email):
    return offer_plan_change(dispatcher, tracker, email)


# What each request that needs an identity does once the customer is identified.
RESUMABLE = {
    **{intent: _resume_refund for intent in REASON_BY_INTENT},
    "check_subscription": lambda dispatcher, tracker, email: summarise(dispatcher, email),
    "cancel_subscription": _resume_cancel,
    "change_plan": _resume_plan_change,
}
