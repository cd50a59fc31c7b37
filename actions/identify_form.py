"""The emailed-code form: ask the address, send a code, check it, without ever trapping anyone.

Only something that looks like a code uses one of the code's tries. "New code" sends
another (with true words when too many were asked for), "stop" or a no leaves the form,
a terms question is answered while the code waits, and another account request is
remembered and answered once the code passes. Every message says what really happened:
sent, wrong (with the tries left), expired, locked, or never sent.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import client_of, latest_intent
from actions.policy_answers import TERMS, explain_terms
from actions.requests import REQUESTS
from bot.app import verification
from bot.clock import now_utc
from bot.core import messages
from bot.core.topic_questions import INTENT_QUESTIONS
from bot.core.decline_words import sounds_like_no
from bot.core.proving import EMAIL_ADDRESS
from bot.core.text import ONE_TIME_CODE
from bot.settings import load_policy

RESEND = re.compile(r"\b(new|another|resend|re-send|send (it |me )?again|didn'?t (get|receive|arrive)|"
                    r"no (code|email)|not (got|received|arrived))\b", re.IGNORECASE)
UNUSABLE_CODE = {"expired": "utter_code_expired", "locked": "utter_code_locked", "none": "utter_code_none"}
STOP = re.compile(r"^\W*(stop|quit|exit|cancel|never\s*mind|forget it)\W*$", re.IGNORECASE)
# "what code?", "why do you need my email": asked about the form itself, not a code or an address.
ABOUT_THE_FORM = re.compile(r"\b(what|which|why|where)\b[^.!?]*\b(code|e-?mail|address)\b|\bcode for\b",
                            re.IGNORECASE)
NO_INBOX = re.compile(r"\b(no|lost|don'?t have|do not have|can'?t get|cannot get)\b[^.!?]*\b(access|into)\b"
                      r"[^.!?]*\b(e-?mail|inbox|mail|account)\b", re.IGNORECASE)


class ValidateIdentifyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_identify_form"

    def validate_identify_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        found = EMAIL_ADDRESS.search(str(value or text))
        if not found:
            return self._not_for_the_form(dispatcher, tracker, "identify_email", "utter_not_an_email")
        client = client_of(tracker)
        if client is None:  # no client key: a code could not be tied to whoever asked
            dispatcher.utter_message(response="utter_code_needs_widget")
            return {"identify_email": None, "requested_slot": None, "identify_outcome": "stopped"}
        email = found.group(0).lower()
        if _refused(dispatcher, verification.send_code(client, email, now=now_utc())):
            return {"identify_email": None, "requested_slot": None, "identify_outcome": "stopped"}
        dispatcher.utter_message(response="utter_code_sent", email=email, ttl=load_policy().code_ttl_minutes)
        return {"identify_email": email}

    def validate_identify_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        client, email = client_of(tracker), tracker.get_slot("identify_email")
        if client is None:
            dispatcher.utter_message(response="utter_code_needs_widget")
            return {"identify_code": None, "requested_slot": None, "identify_outcome": "stopped"}
        code = ONE_TIME_CODE.search(text)
        if code is None:
            if RESEND.search(text):
                return self._resend(dispatcher, client, email)
            return self._not_for_the_form(dispatcher, tracker, "identify_code", "utter_not_a_code")
        result = verification.check_code(client, "".join(code.groups()), now=now_utc())
        if result.status == "verified":
            dispatcher.utter_message(response="utter_identified")
            return {"identify_code": "verified"}
        if result.status == "wrong":
            dispatcher.utter_message(response="utter_wrong_code", attempts_left=result.attempts_left)
        else:  # expired, locked, or never sent: a new code is one "new code" away, the address is kept
            dispatcher.utter_message(response=UNUSABLE_CODE[result.status], ttl=load_policy().code_ttl_minutes)
        return {"identify_code": None}

    def _resend(self, dispatcher, client, email: str | None) -> dict[str, Any]:
        if not email:
            return {"identify_code": None, "identify_email": None, "requested_slot": "identify_email"}
        if _refused(dispatcher, verification.send_code(client, email, now=now_utc())):
            return {"identify_code": None}
        dispatcher.utter_message(response="utter_code_resent", email=email, ttl=load_policy().code_ttl_minutes)
        return {"identify_code": None}

    def _not_for_the_form(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
                          unclear: str) -> dict[str, Any]:
        """A message that is neither an address nor a code: leave, answer, remember, or ask again."""
        text, intent = tracker.latest_message.get("text") or "", latest_intent(tracker)
        if intent == "deny" or STOP.match(text) or sounds_like_no(text):
            return {slot: None, "requested_slot": None, "identify_outcome": "stopped"}
        if intent == "request_human":
            return {slot: None, "requested_slot": None, "pending_request": "request_human"}
        if intent in TERMS:  # answered now; the form asks for the address or code again
            explain_terms(dispatcher, intent)
            return {slot: None}
        # A follow-up question ("what code?" read as "how much?") asks about the form, never a new request.
        if intent in REQUESTS and intent not in INTENT_QUESTIONS and intent != tracker.get_slot("pending_request"):
            dispatcher.utter_message(response="utter_will_answer_after_code")
            return {slot: None, "pending_request": intent}
        if NO_INBOX.search(text):
            dispatcher.utter_message(response="utter_no_inbox")
            return {slot: None}
        if intent == "ask_why" or ABOUT_THE_FORM.search(text):
            email = tracker.get_slot("identify_email")
            dispatcher.utter_message(response="utter_why_a_code" if slot == "identify_code" and email
                                     else "utter_why_an_email", email=email or "")
            return {slot: None}
        dispatcher.utter_message(response=unclear)
        return {slot: None}


def _refused(dispatcher: CollectingDispatcher, request: verification.CodeRequest) -> bool:
    """Whether a limit refused the code; the customer is told when to ask again."""
    if request.limited:
        dispatcher.utter_message(text=messages.code_limit(request.retry_at - now_utc()))
    return request.limited
