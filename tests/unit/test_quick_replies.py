"""Quick replies: a plain answer ends with next steps to press, a refusal with a person, and
no quick reply can ever say yes or no to an offer (only an offer's own buttons do)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import actions.cancellation
import actions.identity
import actions.own_facts
from actions.account import ActionCheckSubscription
from actions.policy_answers import TERMS
from actions.refunds import ActionAssessRefund
from bot.app.own_facts import OwnAccount
from bot.app.results import RefundDecision, RenewalState
from bot.core.domain import Account, Outcome, Subscription
from tests.unit.test_actions import run, secret, token, tracker, user  # noqa: F401 - secret: a fixture

ROOT = Path(__file__).resolve().parents[2]
PERSON = {"title": "Talk to a person", "payload": "/request_human"}
UNTIL = datetime(2026, 12, 17, 15, 0, tzinfo=timezone.utc)


def quick_replies_in_code() -> list[dict]:
    from actions import quick_replies
    return [value for value in vars(quick_replies).values() if isinstance(value, dict) and "payload" in value]


def test_every_quick_reply_sends_an_intent_the_assistant_knows_and_never_a_yes_or_a_no():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    in_domain = [b for variants in domain["responses"].values() for v in variants for b in v.get("buttons", [])]
    buttons = in_domain + quick_replies_in_code()
    assert len(in_domain) >= 5, "the greetings have their quick replies"
    assert all(steps for _, _, steps in TERMS.values()), "each terms answer has its quick replies"
    for button in buttons:
        intent = button["payload"].removeprefix("/")
        assert button["payload"].startswith("/") and intent in intents, button
        assert intent not in ("affirm", "deny"), f"{button['title']!r} could answer an offer"


@pytest.fixture
def account(monkeypatch):
    """The account's side, stood in for: ben's R3 refusal, a subscription that renews or not."""
    state = {"renews": True, "access_until": UNTIL}
    offers = []

    def make_offer(**terms):
        offers.append(terms["kind"])
        return SimpleNamespace(token=f"offer{len(offers)}")
    import bot.app.offers
    import bot.app.refunds
    monkeypatch.setattr(bot.app.offers, "make_offer", make_offer)
    monkeypatch.setattr(actions.cancellation, "renewal", lambda email, now: RenewalState(**state))
    monkeypatch.setattr(actions.own_facts, "renewal", lambda email, now: RenewalState(**state))
    monkeypatch.setattr(actions.own_facts, "own_account_or_none", lambda email: OwnAccount(Account(
        email, "Ben", Subscription(plan="pro-monthly", price=4900, currency="usd", interval="month", status="active",
                                   current_period_start=UNTIL - timedelta(days=30), current_period_end=UNTIL,
                                   cancel_at_period_end=not state["renews"])), "Pro monthly", None))
    # the same account for the signed-in customer (actions.identity.signed_in_account)
    monkeypatch.setattr(actions.identity, "own_account_or_none", actions.own_facts.own_account_or_none)
    monkeypatch.setattr(bot.app.refunds, "assess_refund", lambda email, reason, **kw: RefundDecision(
        decision_id=3, rule="R3", outcome=Outcome.NO_REFUND, charge_id="ch_ben_1", currency="usd", refund=0, fee=0,
        base=0, credit=0, charge_amount=1900, charge_date="2026-11-17", requires_cancellation=False,
        explanation="", amount_text="$0.00", customer_name="Ben", facts={"period_end": UNTIL.isoformat()}))
    return state


def test_a_refusal_offers_a_person_beside_the_yes_and_no_of_stopping_the_renewal(account):
    messages, slots = run(ActionAssessRefund(), tracker(user("I never used it", "unused_account", token=token())))
    assert "We can't refund" in messages[0]["text"] and messages[0]["buttons"] == []
    assert [b["payload"] for b in messages[-1]["buttons"]] == [
        '/affirm{"offer":"offer1"}', '/deny{"offer":"offer1"}', "/request_human"]
    account["renews"] = False  # nothing left to stop: still a person to ask
    messages, _ = run(ActionAssessRefund(), tracker(user("I never used it", "unused_account", token=token())))
    assert messages[-1]["response"] == "utter_not_renewing" and messages[-1]["buttons"] == [PERSON]


def test_the_account_summary_ends_with_what_can_be_done_next(account):
    messages, _ = run(ActionCheckSubscription(), tracker(user("what plan am I on?", "check_subscription",
                                                              token=token())))
    assert [b["title"] for b in messages[0]["buttons"]] == ["Change plan", "Cancel my subscription", "Talk to a person"]
    account["renews"] = False
    messages, _ = run(ActionCheckSubscription(), tracker(user("what plan am I on?", "check_subscription",
                                                              token=token())))
    assert [b["title"] for b in messages[0]["buttons"]] == ["Change plan", "Talk to a person"]


def test_the_terms_offer_to_cancel_only_while_there_is_a_renewal_to_stop(account):
    # make run, 2026-12-07: just cancelled, "will I still be able to export stuff?" offered to cancel
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from actions.policy_answers import ActionExplainPolicy

    def buttons(asked) -> list[str]:
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionExplainPolicy().run(dispatcher, asked, {}))
        return [b["title"] for b in dispatcher.messages[0]["buttons"]]
    asked = tracker(user("will i still be able to export stuff?", "ask_export_data", token=token()))
    assert buttons(asked) == ["Cancel my subscription", "Talk to a person"]
    account["renews"] = False
    assert buttons(asked) == ["Talk to a person"]
    assert buttons(tracker(user("can I export my data?", "ask_export_data"))) == ["Cancel my subscription",
                                                                                  "Talk to a person"]


def test_a_new_fact_that_leaves_the_same_payment_refused_is_explained_not_refused_again_word_for_word(account):
    # hal on make run, 2026-12-07: "but I didnt use it after cancelling" got the same refusal, word for word
    refused = {"kind": "decision", "rule": "R3", "charge_date": "2026-11-17", "outcome": "no_refund"}
    first, _ = run(ActionAssessRefund(), tracker(user("I never used it", "unused_account", token=token())))
    again, slots = run(ActionAssessRefund(), tracker(user("but it never even worked", "unused_account",
                                                          token=token()), slots={"topic": refused}))
    assert again[0]["text"].startswith("Thanks for telling me, but it doesn't change the answer")
    assert first[0]["text"] not in again[0]["text"] and slots["why_not_told"] == {"rule": "R3", "told": 1}
    other_payment, _ = run(ActionAssessRefund(), tracker(user("I never used it", "unused_account", token=token()),
                                                         slots={"topic": {**refused, "charge_date": "2026-10-17"}}))
    assert other_payment[0]["text"] == first[0]["text"]
