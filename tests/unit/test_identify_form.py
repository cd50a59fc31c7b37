"""Asked at the code form why it wants a code or an address, or told the inbox is out of reach,
the assistant says so in words, uses none of the code's tries and asks again
(actions/identify_form.py)."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identify_form import ValidateIdentifyForm

KEY = "k" * 24  # a widget's client key: a code can be tied to it


def at_the_form(text: str, intent: str, email: str | None = "ben@example.com") -> Tracker:
    said = {"event": "user", "text": text, "metadata": {"client_key": KEY}, "input_channel": "socketio",
            "parse_data": {"intent": {"name": intent}, "entities": []}}
    return Tracker("code-chat", {"identify_email": email}, {**said["parse_data"], "text": text}, [said], False,
                   None, {"name": "identify_form"}, "")


def validated(tracker: Tracker, slot: str) -> tuple[list[str], dict]:
    dispatcher, form = CollectingDispatcher(), ValidateIdentifyForm()
    validate = form.validate_identify_code if slot == "identify_code" else form.validate_identify_email
    events = validate(tracker.latest_message["text"], dispatcher, tracker, {})
    return [m.get("response") for m in dispatcher.messages], events


@pytest.mark.parametrize("text, intent", [
    ("why cant you just do it", "ask_why"),
    ("what code?", "ask_how_much"),  # read as anything: the words say what it asks
    ("what's the code for", "nlu_fallback"),
])
def test_why_a_code_is_said_and_the_code_is_asked_for_again(text, intent):
    said, events = validated(at_the_form(text, intent), "identify_code")
    assert said == ["utter_why_a_code"] and events == {"identify_code": None}


def test_why_an_address_is_said_at_the_address_question():
    said, events = validated(at_the_form("why do you need my email", "ask_why", email=None), "identify_email")
    assert said == ["utter_why_an_email"] and events == {"identify_email": None}


def test_an_inbox_out_of_reach_is_offered_a_person():
    said, events = validated(at_the_form("i don't have access to that email anymore", "nlu_fallback"),
                             "identify_code")
    assert said == ["utter_no_inbox"] and events == {"identify_code": None}


def test_anything_else_is_still_not_a_code():
    said, _ = validated(at_the_form("blue", "nlu_fallback"), "identify_code")
    assert said == ["utter_not_a_code"]


def test_another_request_naming_the_address_is_still_remembered_for_after_the_code():
    said, events = validated(at_the_form("where is my refund, what email do you need", "request_refund"),
                             "identify_code")
    assert said == ["utter_will_answer_after_code"] and events["pending_request"] == "request_refund"
