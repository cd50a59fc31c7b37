"""Actions translate only: identity from a verified token, everything else from the core."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import refunds
from actions.refunds import ActionAssessRefund, ActionCarryOutRefund
from actions.transcript import written_at
from bot.app.identity import issue_customer_token
from bot.core.timeutil import parse_utc

SECRET = "actions-test-customer-token-secret-32b"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)


@pytest.fixture(autouse=True)
def no_code_verified(monkeypatch):
    """No conversation has passed a one-time code unless a test says so."""
    import bot.app.verification
    monkeypatch.setattr(bot.app.verification, "verified_email", lambda conversation_id, **kw: None)


def tracker(intent="late_cancellation", token=None, slots=None, sender="s1"):
    metadata = {"customer_token": token} if token else {}
    events = [{"event": "user", "text": "hi", "metadata": metadata,
               "parse_data": {"intent": {"name": intent}}}]
    return Tracker(sender, slots or {}, {"intent": {"name": intent}, "metadata": metadata}, events,
                   False, None, {}, "")


class Core:
    """Stands in for bot.app.refunds and records what the actions asked of it."""

    def __init__(self, outcome="auto_refund"):
        self.calls, self.outcome = [], outcome

    def assess_refund(self, email, reason, **kwargs):
        self.calls.append(("assess", email, reason, kwargs["conversation_id"]))
        return {"decision_id": 7, "outcome": self.outcome, "requires_cancellation": True,
                "explanation": "R1 explained.", "amount_text": "46.55 USD"}

    def carry_out_refund(self, decision_id, *, email, cancel_consent):
        self.calls.append(("carry_out", decision_id, email, cancel_consent))
        return {"status": "refunded", "canceled": True, "message": "Refunded 46.55 USD (refund re_1)."}


@pytest.fixture
def core(monkeypatch):
    fake = Core()
    import bot.app.refunds
    monkeypatch.setattr(bot.app.refunds, "assess_refund", fake.assess_refund)
    monkeypatch.setattr(bot.app.refunds, "carry_out_refund", fake.carry_out_refund)
    return fake


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_no_identity_means_no_core_call_and_the_form_starts(core):
    messages, slots = run(ActionAssessRefund(), tracker())
    assert core.calls == [] and messages == []
    assert slots == {"needs_identity": True, "pending_request": "late_cancellation",
                     "awaiting_refund_confirmation": False}


def test_forged_token_means_no_core_call(core, monkeypatch):
    import bot.app.verification
    # Even a conversation that once passed a code is not rescued by a forged token.
    monkeypatch.setattr(bot.app.verification, "verified_email", lambda conversation_id, **kw: "ben@example.com")
    forged = issue_customer_token("ana@example.com", secret="some-other-secret-that-is-32-bytes-x")
    messages, slots = run(ActionAssessRefund(), tracker(token=forged))
    assert core.calls == [] and slots["needs_identity"] is True


def test_a_conversation_that_passed_a_code_is_identified(core, monkeypatch):
    import bot.app.verification
    monkeypatch.setattr(bot.app.verification, "verified_email",
                        lambda conversation_id, **kw: "ben@example.com" if conversation_id == "conv-ben" else None)
    run(ActionAssessRefund(), tracker(sender="conv-ben"))
    run(ActionAssessRefund(), tracker(sender="someone-else"))
    assert [c[:2] for c in core.calls] == [("assess", "ben@example.com")]


@pytest.mark.parametrize("intent, reason", sorted(refunds.REASON_BY_INTENT.items()))
def test_verified_customer_is_assessed_with_the_reason_of_the_intent(core, intent, reason):
    token = issue_customer_token("Ana@Example.com", secret=SECRET)
    messages, slots = run(ActionAssessRefund(), tracker(intent=intent, token=token, sender="conv-9"))
    assert core.calls == [("assess", "ana@example.com", reason, "conv-9")]
    assert messages[0]["text"] == "R1 explained."
    assert messages[1]["response"] == "utter_confirm_cancel_and_refund" and messages[1]["amount"] == "46.55 USD"
    assert slots == {"needs_identity": False, "customer_email": "ana@example.com", "decision_id": 7,
                     "awaiting_refund_confirmation": True}


def test_carry_out_acts_on_the_decision_for_the_verified_email(core):
    token = issue_customer_token("ana@example.com", secret=SECRET)
    messages, slots = run(ActionCarryOutRefund(), tracker("affirm", token, {"decision_id": 7}))
    assert core.calls == [("carry_out", 7, "ana@example.com", True)]
    assert messages[-1]["text"] == "Refunded 46.55 USD (refund re_1)."
    assert slots["awaiting_refund_confirmation"] is False


def test_carry_out_without_identity_moves_nothing(core):
    messages, _ = run(ActionCarryOutRefund(), tracker("affirm", None, {"decision_id": 7}))
    assert core.calls == [] and messages[0]["response"] == "utter_need_identity"


def _user(intent):
    return {"event": "user", "text": "?", "parse_data": {"intent": {"name": intent}}}


@pytest.mark.parametrize("intents, response", [
    (["greet", "nlu_fallback"], "utter_please_rephrase"),
    (["greet", "nlu_fallback", "nlu_fallback"], "utter_offer_human"),
    (["nlu_fallback", "greet", "nlu_fallback"], "utter_please_rephrase"),  # a miss after understanding resets
])
def test_second_miss_in_a_row_offers_a_person(intents, response):
    from actions.fallback import ActionRephraseOrOfferHuman
    events = []
    for intent in intents:
        events += [_user(intent), {"event": "action", "name": "action_listen"}]
    t = Tracker("s", {}, {"intent": {"name": intents[-1]}}, events, False, None, {}, "")
    dispatcher = CollectingDispatcher()
    ActionRephraseOrOfferHuman().run(dispatcher, t, {})
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("live, paused", [(True, True), (False, False)])
def test_a_new_session_stays_paused_while_a_person_is_chatting(monkeypatch, live, paused):
    import bot.app.handoff
    from actions.session import ActionSessionStart

    monkeypatch.setattr(bot.app.handoff, "is_live", lambda conversation_id, **kw: live)
    events = ActionSessionStart().run(CollectingDispatcher(), tracker(slots={"customer_email": "a@b.c"}), {})
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started" and ("pause" in kinds) == paused
    assert {"event": "slot", "name": "customer_email", "value": "a@b.c", "timestamp": None} in events


def customer_message(metadata: dict, timestamp: float | None, date_said: str) -> Tracker:
    event = {"event": "user", "text": f"I was charged on {date_said}", "metadata": metadata,
             "parse_data": {"intent": {"name": "late_cancellation"},
                            "entities": [{"entity": "date", "value": date_said}]}}
    if timestamp is not None:
        event["timestamp"] = timestamp
    return Tracker("s1", {}, event["parse_data"], [event], False, None, {}, "")


def test_a_date_in_an_email_counts_from_when_the_email_was_written():
    # Issue 18: "the 22nd", written on 2 December, was read as 22 December of last year.
    arrived = parse_utc("2026-12-02T18:20:00Z").timestamp()
    said = customer_message({"written_at": "2026-12-02T10:15:00-08:00"}, arrived, "the 22nd")
    charge = {"charge_amount": 4900, "charge_date": "2026-11-22", "currency": "usd"}
    assert refunds._mismatch(said, charge) is None
    note = refunds._mismatch(said, {**charge, "charge_date": "2026-10-21"})
    assert "You mentioned 22 November 2026" in note


def test_when_a_message_was_written():
    arrived = parse_utc("2026-12-02T18:20:00Z")
    fallback = parse_utc("2027-01-01T00:00:00Z")
    event = {"timestamp": arrived.timestamp(), "metadata": {"written_at": "2026-12-02T10:15:00-08:00"}}
    assert written_at(event, fallback) == (parse_utc("2026-12-02T18:15:00Z"), None)
    assert written_at(event, fallback)[0].utcoffset() == timedelta(hours=-8)  # the sender's own day
    future = {**event, "metadata": {"written_at": "2026-12-09T10:15:00+00:00"}}
    assert written_at(future, fallback)[0] == arrived  # a Date header in the future counts as the arrival
    assert written_at({**event, "metadata": {"written_at": "soon"}}, fallback)[0] == arrived
    assert written_at({"timestamp": arrived.timestamp(), "metadata": {"timezone": "Europe/Berlin"}}, fallback) == \
        (arrived, "Europe/Berlin")
    assert written_at(None, fallback) == (fallback, None)
