"""Actions translate only: identity from the proof on the message itself, consent from the
turn before, everything else from the core (here stood in for, and recorded)."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import refunds
from actions.account import ActionCheckSubscription
from actions.answers import ActionAnswerNo, ActionAnswerYes
from actions.refunds import ActionAssessRefund
from actions.transcript import customer_words, written_at
from bot.app.identity import issue_customer_token
from bot.app.results import RefundDecision, RefundResult, RefundStatus, RenewalState
from bot.core.domain import Outcome
from bot.core.formatting import Reader
from bot.core.timeutil import parse_utc

SECRET = "actions-test-customer-token-secret-32b"
KEY = "k" * 32


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)


@pytest.fixture(autouse=True)
def codes(monkeypatch):
    """Which (conversation, client key) pairs passed a one-time code: none unless a test says so."""
    import bot.app.verification
    passed: dict = {}
    monkeypatch.setattr(bot.app.verification, "verified_email",
                        lambda client, **kw: passed.get((client.conversation_id, client.key)))
    return passed


def user(text="hi", intent="late_cancellation", token=None, key=None, entities=()):
    metadata = {**({"customer_token": token} if token else {}), **({"client_key": key} if key else {})}
    return {"event": "user", "text": text, "metadata": metadata, "input_channel": "rest",
            "parse_data": {"intent": {"name": intent}, "entities": list(entities)}}


def offered(token):
    return [{"event": "action", "name": "action_assess_refund"},
            {"event": "slot", "name": "offer", "value": token}, {"event": "action", "name": "action_listen"}]


def tracker(*events, sender="s1", slots=None):
    latest = next(e for e in reversed(events) if e["event"] == "user")
    message = {"intent": latest["parse_data"]["intent"], "entities": latest["parse_data"]["entities"],
               "text": latest["text"], "metadata": latest["metadata"]}
    return Tracker(sender, slots or {}, message, list(events), False, None, {}, "")


class Core:
    """Stands in for bot.app.refunds and bot.app.offers, recording what the actions asked."""

    def __init__(self):
        self.calls, self.open = [], {}

    def assess_refund(self, email, reason, **kwargs):
        self.calls.append(("assess", email, reason, kwargs["conversation_id"]))
        return RefundDecision(decision_id=7, rule="R1", outcome=Outcome.AUTO_REFUND, requires_cancellation=True,
                              refund=4655, fee=245, base=4900, credit=0, currency="usd", charge_id="ch_ana_1",
                              charge_amount=4900, charge_date="2026-11-22", facts={}, explanation="",
                              amount_text="$46.55", customer_name="Ana")

    def carry_out_refund(self, decision_id, *, email, consent, reader):
        self.calls.append(("carry_out", decision_id, email, consent))
        return RefundResult(status=RefundStatus.REFUNDED, canceled=True, message="Done: I've refunded $46.55.",
                            decision_id=decision_id, refund=4655, fee=245, charge_amount=4900, currency="usd",
                            amount_text="$46.55")

    def make_offer(self, **terms):
        offer = SimpleNamespace(token=f"offer{len(self.open) + 1}", amount=terms["amount"],
                                currency=terms["currency"], decision_id=terms["decision_id"], kind="refund")
        self.open[offer.token] = offer
        self.calls.append(("offer", offer.token))
        return offer

    def answer(self, token, *, accept, **kwargs):
        self.calls.append(("answer", token, accept))
        return self.open[token]

    def find(self, token, **kwargs):
        return self.open.get(token)

    def withdraw_open(self, conversation_id, **kwargs):
        self.calls.append(("withdraw", conversation_id))


@pytest.fixture
def core(monkeypatch):
    import bot.app.offers
    import bot.app.refunds
    fake = Core()
    for name in ("assess_refund", "carry_out_refund"):
        monkeypatch.setattr(bot.app.refunds, name, getattr(fake, name))
    for name in ("make_offer", "answer", "find", "withdraw_open"):
        monkeypatch.setattr(bot.app.offers, name, getattr(fake, name))
    return fake


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def token(email="ana@example.com", ttl=3600):
    return issue_customer_token(email, secret=SECRET, ttl_seconds=ttl)


def test_no_identity_means_no_core_call_and_the_form_starts(core):
    messages, slots = run(ActionAssessRefund(), tracker(user(key=KEY)))
    assert core.calls == [] and messages == []
    assert slots == {"needs_identity": True, "pending_request": "late_cancellation"}


def test_a_client_without_a_key_is_never_offered_a_code_it_could_not_use(core):
    """A host app's REST call carries no client key: a code could prove no one, so none is offered."""
    messages, slots = run(ActionAssessRefund(), tracker(user()))
    assert core.calls == [] and slots["needs_identity"] is False and slots["topic"]["kind"] == "sign_in"
    assert "Sign in to GroupTrack CRM" in messages[0]["text"] and "code" in messages[0]["text"]
    assert "pending_request" not in slots


def test_an_earlier_message_s_token_proves_nothing_now(core):
    """A conversation id alone lends no identity: the proof must be on the message answered."""
    messages, slots = run(ActionAssessRefund(), tracker(user(token=token()), user("what plan am I on?", key=KEY)))
    assert core.calls == [] and slots["needs_identity"] is True


def test_an_expired_sign_in_is_said_plainly_and_a_code_since_still_identifies(core, codes):
    expired = token(ttl=-10)
    messages, slots = run(ActionAssessRefund(), tracker(user(token=expired, key=KEY)))
    assert messages[0]["response"] == "utter_sign_in_expired" and slots["needs_identity"] is True
    codes[("s1", KEY)] = "ana@example.com"
    run(ActionAssessRefund(), tracker(user(token=expired, key=KEY)))
    assert core.calls[0][:2] == ("assess", "ana@example.com")


def test_a_code_identifies_only_the_client_that_passed_it(core, codes):
    codes[("conv-ben", KEY)] = "ben@example.com"
    run(ActionAssessRefund(), tracker(user(key=KEY), sender="conv-ben"))
    run(ActionAssessRefund(), tracker(user(key="x" * 32), sender="conv-ben"))   # another client
    run(ActionAssessRefund(), tracker(user(), sender="conv-ben"))                # no key at all
    run(ActionAssessRefund(), tracker(user(key=KEY), sender="someone-else"))
    assert [c[:2] for c in core.calls if c[0] == "assess"] == [("assess", "ben@example.com")]


def test_a_forged_token_is_refused_and_says_so(core):
    forged = issue_customer_token("ana@example.com", secret="some-other-secret-that-is-32-bytes-x")
    messages, slots = run(ActionAssessRefund(), tracker(user(token=forged, key=KEY)))
    assert core.calls == [] and slots["needs_identity"] is True
    assert messages[0]["response"] == "utter_sign_in_not_recognised"


@pytest.mark.parametrize("intent, reason", sorted(refunds.REASON_BY_INTENT.items()))
def test_r1_is_offered_with_buttons_that_name_the_offer(core, intent, reason):
    messages, slots = run(ActionAssessRefund(), tracker(user(intent=intent, token=token("Ana@Example.com")),
                                                       sender="conv-9"))
    assert core.calls[:2] == [("assess", "ana@example.com", reason, "conv-9"), ("offer", "offer1")]
    assert "$49.00" in messages[0]["text"] and "ch_" not in messages[0]["text"]
    question = messages[-1]
    assert question["response"] == "utter_confirm_cancel_and_refund" and question["amount"] == "$46.55"
    assert [b["payload"] for b in question["buttons"]] == ['/affirm{"offer":"offer1"}', '/deny{"offer":"offer1"}']
    assert slots["offer"] == "offer1" and slots["needs_identity"] is False


def test_a_yes_right_after_the_offer_carries_it_out(core):
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    t = tracker(user(token=token()), *offered("offer1"), user("yes", "affirm", token=token()))
    messages, slots = run(ActionAnswerYes(), t)
    assert ("carry_out", 7, "ana@example.com", "offer1") in core.calls
    assert messages[-1]["text"] == "Done: I've refunded $46.55." and slots["offer"] is None


@pytest.mark.parametrize("between", [
    [user("what plan am I on?", "check_subscription"), {"event": "action", "name": "action_check_subscription"}],
    [user("thanks", "thank"), {"event": "bot", "text": "You're welcome!"}],
])
def test_a_yes_after_anything_else_changes_nothing(core, between):
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    t = tracker(user(token=token()), *offered("offer1"), *between, user("yes", "affirm", token=token()))
    messages, _ = run(ActionAnswerYes(), t)
    assert not [c for c in core.calls if c[0] in ("carry_out", "answer")]
    assert messages[0]["response"] == "utter_nothing_to_confirm"


def test_a_yes_that_names_a_request_with_nothing_offered_asks_for_that_request_and_moves_nothing(core, monkeypatch):
    # make run, 2026-12-07: "ok cancel it" after a what-if was told there was nothing to say yes to
    import actions.requests
    asked = []
    monkeypatch.setitem(actions.requests.REQUESTS, "cancel_subscription",
                        lambda dispatcher, tracker, email, intent: asked.append((email, intent)) or [])
    t = tracker(user("what if I cancelled?", "cancel_subscription", token=token()),
                {"event": "bot", "text": "If you cancelled now, ..."}, user("ok cancel it", "affirm", token=token()))
    messages, _ = run(ActionAnswerYes(), t)
    assert asked == [("ana@example.com", "cancel_subscription")]
    assert not [c for c in core.calls if c[0] in ("carry_out", "answer")]
    assert "utter_nothing_to_confirm" not in [m.get("response") for m in messages]


def test_an_old_button_answers_nothing(core):
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    core.make_offer(amount=4655, currency="usd", decision_id=8)
    pressed = user('/affirm{"offer":"offer1"}', "affirm", token=token(),
                   entities=[{"entity": "offer", "value": "offer1"}])
    messages, _ = run(ActionAnswerYes(), tracker(user(token=token()), *offered("offer2"), pressed))
    assert not [c for c in core.calls if c[0] == "carry_out"] and messages[0]["response"] == "utter_old_button"


def test_a_yes_with_a_but_is_not_a_yes(core, monkeypatch):
    monkeypatch.setattr(refunds, "renewal", lambda email, **kw: RenewalState(renews=True, access_until=None))
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    t = tracker(user(token=token()), *offered("offer1"), user("yes but wait", "affirm", token=token()))
    messages, slots = run(ActionAnswerYes(), t)
    assert not [c for c in core.calls if c[0] == "carry_out"] and messages[0]["response"] == "utter_yes_or_no"
    assert slots["offer"] == "offer2"  # asked again, as a new offer


def test_a_denial_the_model_misread_declines_the_offer(core):
    """'I'd rather keep my subscription' read as a question about the plan still declines."""
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    t = tracker(user(token=token()), *offered("offer1"),
                user("actually I'd rather keep my subscription for now", "check_subscription", token=token()))
    messages, slots = run(ActionCheckSubscription(), t)
    assert ("answer", "offer1", False) in core.calls and messages[-1]["response"] == "utter_nothing_changed"
    assert slots["offer"] is None


def test_a_no_with_a_question_of_its_own_declines_and_then_answers_it(core):
    """'no forget it, what plan am i on?': the offer is declined, and the question still answered."""
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    t = tracker(user(token=token()), *offered("offer1"),
                user("no forget it, what plan am i on right now", "check_subscription", token=token()))
    messages, slots = run(ActionCheckSubscription(), t)
    assert ("answer", "offer1", False) in core.calls and messages[0]["response"] == "utter_nothing_changed"
    assert len(messages) > 1 and slots["offer"] is None  # answered, and nothing offered again


@pytest.mark.parametrize("intent, decided", [
    ("late_cancellation", True),     # a new fact: the held-back offer is declined, and the fact decided on
    ("forgot_subscription", False),  # the reason already refused, said again: only a no
])
def test_a_held_back_offer_with_a_new_fact_declines_it_and_decides_the_fact(core, intent, decided):
    # eve on make run, 2026-12-07: "actually wait, i did try to cancel before it renewed but the cancel
    # button gave me an error" heard only "No problem: I haven't changed anything".
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    said = "actually wait, i did try to cancel before it renewed but the cancel button gave me an error"
    t = tracker(user(token=token()), *offered("offer1"), user(said, intent, token=token()),
                slots={"stated_reason": "forgot_subscription"})
    messages, _ = run(ActionAssessRefund(), t)
    assert ("answer", "offer1", False) in core.calls and messages[0]["response"] == "utter_nothing_changed"
    assert bool([c for c in core.calls if c[0] == "assess"]) is decided


def test_a_no_declines_the_waiting_offer(core):
    core.make_offer(amount=4655, currency="usd", decision_id=7)
    t = tracker(user(token=token()), *offered("offer1"), user("no, leave it", "deny", token=token()))
    messages, _ = run(ActionAnswerNo(), t)
    assert ("answer", "offer1", False) in core.calls and messages[0]["response"] == "utter_nothing_changed"


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
    charge = SimpleNamespace(charge_amount=4900, charge_date="2026-11-22", currency="usd")  # what _mismatch reads
    assert refunds._mismatch(said, charge, Reader()) is None
    note = refunds._mismatch(said, SimpleNamespace(**{**vars(charge), "charge_date": "2026-10-21"}), Reader())
    assert "You mentioned November 22" in note


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


@pytest.mark.parametrize("code_read_as", ["check_subscription", "nlu_fallback", "inform"])
def test_a_one_time_code_never_goes_into_what_agents_are_told_the_customer_wrote(code_read_as):
    """A case's note is shown in the console in full; the code typed at the form's question is
    hidden in the transcript and must not be there either, whatever the model read it as."""
    asked = lambda slot: {"event": "slot", "name": "requested_slot", "value": slot}  # noqa: E731
    events = [user("what plan am I on?", "check_subscription"), asked("identify_email"),
              user("cy@example.com", "inform"), asked("identify_code"), user("359 778", code_read_as),
              asked(None), user("and can I get a refund", "request_refund")]
    wanted = ["check_subscription", "inform", "nlu_fallback", "request_refund"]
    assert customer_words(tracker(*events), wanted, limit=5) == \
        "what plan am I on?\ncy@example.com\nand can I get a refund"
    assert customer_words(tracker(*events), wanted, limit=2) == "cy@example.com\nand can I get a refund"


def test_a_yes_to_would_you_like_a_person_hands_the_conversation_over(core, monkeypatch):
    # make run, 2026-12-07: "yes" to "... Would you like me to pass you to them?" was told nothing waited for a yes
    import actions.requests
    handed = []
    monkeypatch.setattr(actions.requests.ActionHandToPerson, "respond",
                        lambda self, dispatcher, tracker, domain: handed.append(tracker.sender_id) or [])
    t = tracker(user("can I transfer my account to a colleague?", "nlu_fallback"),
                {"event": "action", "name": "action_rephrase_or_offer_human"},
                {"event": "slot", "name": "look_again", "value": "request_human"},
                {"event": "action", "name": "action_listen"}, user("yes", "affirm"))
    messages, slots = run(ActionAnswerYes(), t)
    assert handed == ["s1"] and "utter_nothing_to_confirm" not in [m.get("response") for m in messages]
    assert slots["look_again"] is None and not [c for c in core.calls if c[0] in ("carry_out", "answer")]
