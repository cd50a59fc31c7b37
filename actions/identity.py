"""Who the customer is: a verified token, or a one-time code this conversation passed.

Never the sender id or a slot on their own. A code binds the conversation id the
widget generated to the address that received the code, for a limited time.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.app import verification
from bot.app.identity import InvalidToken, verify_customer_token
from bot.clock import now_utc

EMAIL = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[A-Za-z]{2,}")


def latest_customer_token(tracker: Tracker) -> str | None:
    """The token sent with the customer's most recent message that had one, on the channel
    of the latest message: a REST caller who names a Slack user's or an email thread's
    conversation id must not inherit the token that channel issued."""
    channel = tracker.get_latest_input_channel()
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("input_channel") == channel:
            token = (event.get("metadata") or {}).get("customer_token")
            if token:
                return token
    return None


def verified_email(tracker: Tracker) -> str | None:
    """Checked again on every call that reveals data or moves money; None if not verified."""
    token = latest_customer_token(tracker)
    if token is not None:
        try:
            return verify_customer_token(token)
        except InvalidToken:
            return None  # a bad token is never rescued by an earlier code
    return verification.verified_email(tracker.sender_id, now=now_utc())


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def answer_when_identified(tracker: Tracker, answer: Callable[[str], list],
                           remember: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """`answer(email)` for a verified customer; otherwise remember the request (and the
    `remember` slot events) and let the rules start identify_form; action_resume_request
    answers it afterwards."""
    email = verified_email(tracker)
    if email is None:
        return [SlotSet("needs_identity", True), SlotSet("pending_request", latest_intent(tracker)),
                SlotSet("awaiting_refund_confirmation", False), *remember]
    return [SlotSet("needs_identity", False)] + answer(email)


class ValidateIdentifyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_identify_form"

    def validate_identify_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> dict[str, Any]:
        found = EMAIL.search(str(value or ""))
        if not found:
            dispatcher.utter_message(response="utter_not_an_email")
            return {"identify_email": None}
        email = found.group(0).lower()
        verification.send_code(tracker.sender_id, email, now=now_utc())
        return {"identify_email": email}

    def validate_identify_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> dict[str, Any]:
        digits = re.sub(r"\D", "", str(value or ""))
        result = verification.check_code(tracker.sender_id, digits, now=now_utc())
        if result.status == "verified":
            dispatcher.utter_message(response="utter_identified")
            return {"identify_code": "verified"}
        if result.status == "wrong":
            dispatcher.utter_message(response="utter_wrong_code", attempts_left=result.attempts_left)
            return {"identify_code": None}
        # Expired, locked or never sent: start again from the address, with a new code.
        dispatcher.utter_message(response="utter_code_start_again")
        return {"identify_code": None, "identify_email": None}
