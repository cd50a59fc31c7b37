"""Attacks on the customer's yes (issue 26, items 2, 4, 7 and 8), on a real localstripe: a yes
carries out exactly what was offered, all of it or none of it, as the account is now.

- R1 offered in one chat, an agent's R2 refund of the same payment paid from another, then
  "Yes, cancel and refund": the ledger refused the refund (the customer read "exceeds what
  remains" with ids and minor units) but the cancellation was already recorded, and the
  reconciler cancelled the subscription about 20 s later.
- A plan change quoted in one chat, a switch made in another, then the first chat's "Yes,
  switch" still went through, and a change was never prorated at the moment quoted.
- A cancellation that failed inside an R1 yes was told as "the payment processor isn't
  answering", left waiting, and followed up by nobody.
- After an R1 refund ended the subscription at once, the assistant said access ran to the
  old period's end.
"""
from __future__ import annotations

import asyncio
import inspect

import re
from datetime import timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.account import ActionCheckSubscription
from actions.answers import ActionAnswerYes
from actions.cancellation import ActionOfferCancellation
from actions.follow_ups import ActionAnswerFollowUp
from actions.refunds import ActionAssessRefund
from bot.app import offers
from bot.app.identity import issue_customer_token
from bot.app.plan_changes import change_plan
from bot.app.refunds import assess_refund, carry_out_refund
from bot.billing import ledger
from bot.billing.gateway import StripeGateway
from bot.billing.mirror.push import push_to_stripe
from bot.billing.reconcile import reconcile
from bot.clock import now_utc
from bot.core.formatting import day
from bot.core.statuses import CaseKind, LedgerStatus, OfferKind
from bot.db import models
from bot.db.session import unit_of_work
from bot.ops.seed import parse_seed, write_customers
from tests.conftest import DEMO_NOW, DEMO_SEED

# What a customer must never read: Stripe's words or ids, the local stand-in, minor units.
NOT_FOR_CUSTOMERS = re.compile(r"stripe|localstripe|\b(ch|re|ii|cus|sub|in)_\w+|exceeds|4655|4900|3900", re.I)
SECRET = "attacks-yes-customer-token-secret-32b"


def subscription_of(engine, email: str) -> models.Subscription:
    with unit_of_work(engine) as session:
        return session.execute(select(models.Subscription).join(models.Customer)
                               .where(models.Customer.email == email)).scalar_one()


def charge_of(engine, external_id: str) -> models.Charge:
    with unit_of_work(engine) as session:
        return session.execute(select(models.Charge).where(models.Charge.external_id == external_id)).scalar_one()


def ledger_rows(engine) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        return [(e.kind, e.status) for e in session.execute(select(models.LedgerEntry).order_by(models.LedgerEntry.id))
                .scalars()]


def cases_of(engine, email: str) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        return [(c.kind, c.status) for c in session.execute(
            select(models.ReviewCase).join(models.Customer).where(models.Customer.email == email)
            .order_by(models.ReviewCase.id)).scalars()]


def offer_made(engine, email: str, conversation: str, *, at, **terms) -> models.Offer:
    return offers.make_offer(conversation_id=conversation, channel="rest", email=email, now=at, valid_minutes=30,
                             engine=engine, **terms)


def said_yes(engine, offer: models.Offer, email: str, *, at) -> str:
    offers.answer(offer.token, conversation_id=offer.conversation_id, email=email, accept=True, now=at, engine=engine)
    return offer.token


# --- item 2: the yes re-decides, and does all of the offer or none of it -------------------

def r1_offered(engine, conversation: str = "ana-widget") -> tuple[dict, models.Offer]:
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, channel="rest",
                             conversation_id=conversation, engine=engine)
    assert (decision.rule, decision.refund, decision.requires_cancellation) == ("R1", 4655, True)
    return decision, offer_made(engine, "ana@example.com", conversation, at=DEMO_NOW, kind=OfferKind.REFUND,
                                decision_id=decision.decision_id, amount=4655, currency="usd")


def an_agents_refund_of(engine, gateway, external_id: str, amount: int, *, paid: bool) -> None:
    """What approving an R2 case in the console records (bot/app/case_decisions.py), and pays
    unless Stripe is down."""
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == external_id)).scalar_one()
        key = ledger.record_refund(session, charge=charge, amount=amount, rule="R2", decision_id=None).idempotency_key
    if paid:
        assert ledger.execute(engine, gateway, key).status == LedgerStatus.SUCCEEDED


@pytest.mark.parametrize("paid", [True, False], ids=["paid", "under-way"])
def test_a_yes_after_an_agent_refunded_the_payment_elsewhere_moves_nothing(live_engine, gateway, paid):
    decision, offer = r1_offered(live_engine)
    an_agents_refund_of(live_engine, gateway, "ch_ana_2", 1000, paid=paid)
    yes = said_yes(live_engine, offer, "ana@example.com", at=DEMO_NOW + timedelta(minutes=2))
    result = carry_out_refund(decision.decision_id, email="ana@example.com", consent=yes,
                              now=DEMO_NOW + timedelta(minutes=2), gateway=gateway, engine=live_engine)
    assert result.status == "changed" and not result.canceled
    assert not NOT_FOR_CUSTOMERS.search(result.message), result.message
    assert "haven't cancelled or refunded anything" in result.message
    # Nothing of the offer was recorded, so nothing is left for the reconciler to carry out.
    assert ledger_rows(live_engine) == [("refund", "succeeded" if paid else "pending")]
    reconcile(live_engine, gateway, now=now_utc() + timedelta(hours=1))
    sub = subscription_of(live_engine, "ana@example.com")
    assert sub.status == "active" and gateway.subscription(sub.stripe_id)["status"] != "canceled"
    refunds = gateway.client.refunds.list(params={"charge": charge_of(live_engine, "ch_ana_2").stripe_id}).data
    assert [r.amount for r in refunds] == [1000]  # the agent's, paid once (by the reconciler if it was waiting)


def test_a_cancellation_left_alone_by_a_refused_yes_is_never_carried_out(live_engine, gateway):
    """What the attack left in the ledger before this fix: an R1 cancellation without its refund."""
    decision, _offer = r1_offered(live_engine)
    with unit_of_work(live_engine) as session:
        sub = session.merge(subscription_of(live_engine, "ana@example.com"))
        ledger.record_cancellation(session, subscription=sub, at_period_end=False,
                                   decision_id=decision.decision_id, key="cancel-now-left-alone")
    reconcile(live_engine, gateway, now=now_utc() + timedelta(hours=1))
    assert ledger_rows(live_engine) == [("cancel", "failed")]
    assert gateway.subscription(subscription_of(live_engine, "ana@example.com").stripe_id)["status"] != "canceled"
    assert (CaseKind.TICKET, "open") in cases_of(live_engine, "ana@example.com")  # a person looks at it


def test_repeating_the_yes_after_the_refund_reports_it_and_moves_nothing_more(live_engine, gateway):
    decision, offer = r1_offered(live_engine)
    yes = said_yes(live_engine, offer, "ana@example.com", at=DEMO_NOW)
    first = carry_out_refund(decision.decision_id, email="ana@example.com", consent=yes, now=DEMO_NOW,
                             gateway=gateway, engine=live_engine)
    again = carry_out_refund(decision.decision_id, email="ana@example.com", consent=yes, now=DEMO_NOW,
                             gateway=gateway, engine=live_engine)
    assert first.status == again.status == "refunded" and first.refund_id == again.refund_id
    assert sorted(ledger_rows(live_engine)) == [("cancel", "succeeded"), ("refund", "succeeded")]


# --- item 7: a cancellation that fails inside an R1 yes -------------------------------------

def test_a_failed_cancellation_in_an_r1_yes_is_told_and_followed_up_not_left_waiting(live_engine, gateway):
    decision, offer = r1_offered(live_engine, "ana-cancel-fails")
    with unit_of_work(live_engine) as session:  # Stripe no longer has the subscription: a final error
        session.execute(select(models.Subscription).join(models.Customer)
                        .where(models.Customer.email == "ana@example.com")).scalar_one().stripe_id = "sub_gone"
    yes = said_yes(live_engine, offer, "ana@example.com", at=DEMO_NOW)
    result = carry_out_refund(decision.decision_id, email="ana@example.com", consent=yes, now=DEMO_NOW,
                              gateway=gateway, engine=live_engine)
    assert result.status == "failed" and not result.canceled
    assert not NOT_FOR_CUSTOMERS.search(result.message), result.message
    assert "couldn't cancel your subscription" in result.message and "haven't refunded" in result.message
    assert result.case.case_kind == CaseKind.TICKET and result.case_id
    assert ledger_rows(live_engine) == [("cancel", "failed"), ("refund", "failed")]  # nothing left waiting
    assert cases_of(live_engine, "ana@example.com") == [(CaseKind.TICKET, "open")]
    with unit_of_work(live_engine) as session:
        ticket = session.get(models.ReviewCase, result.case_id)
        assert (ticket.conversation_id, ticket.decision_id) == ("ana-cancel-fails", decision.decision_id)
    reconcile(live_engine, gateway, now=now_utc() + timedelta(hours=1))
    assert not gateway.client.refunds.list(params={"charge": charge_of(live_engine, "ch_ana_2").stripe_id}).data


def test_a_later_yes_on_a_payment_whose_refund_failed_cancels_nothing(live_engine, gateway):
    decision, offer = r1_offered(live_engine, "ana-first")
    stripe_id = subscription_of(live_engine, "ana@example.com").stripe_id
    with unit_of_work(live_engine) as session:
        session.merge(subscription_of(live_engine, "ana@example.com")).stripe_id = "sub_gone"
    yes = said_yes(live_engine, offer, "ana@example.com", at=DEMO_NOW)
    assert carry_out_refund(decision.decision_id, email="ana@example.com", consent=yes, now=DEMO_NOW,
                            gateway=gateway, engine=live_engine).status == "failed"
    with unit_of_work(live_engine) as session:  # Stripe finds the subscription again; the refund stays failed
        session.merge(subscription_of(live_engine, "ana@example.com")).stripe_id = stripe_id
    again, offer = r1_offered(live_engine, "ana-second")
    yes = said_yes(live_engine, offer, "ana@example.com", at=DEMO_NOW + timedelta(minutes=1))
    result = carry_out_refund(again.decision_id, email="ana@example.com", consent=yes,
                              now=DEMO_NOW + timedelta(minutes=1), gateway=gateway, engine=live_engine)
    assert result.status == "failed" and not result.canceled and result.case_id
    assert not NOT_FOR_CUSTOMERS.search(result.message), result.message
    assert gateway.subscription(stripe_id)["status"] != "canceled"
    assert ledger_rows(live_engine) == [("cancel", "failed"), ("refund", "failed")]


# --- item 4: a plan change is exactly the one quoted, on the subscription quoted ----------

class RecordingGateway(StripeGateway):
    """localstripe, with the moments the gateway was asked to prorate at."""

    def __init__(self, api_base: str):
        super().__init__("sk_test_local", api_base=api_base)
        self.prorated_at: list = []

    def preview_plan_change(self, subscription_id, new_plan_id, **kwargs):
        self.prorated_at.append(("preview", kwargs.get("proration_date")))
        return super().preview_plan_change(subscription_id, new_plan_id, **kwargs)

    def change_plan(self, subscription_id, new_plan_id, **kwargs):
        self.prorated_at.append(("change", kwargs.get("proration_date")))
        return super().change_plan(subscription_id, new_plan_id, **kwargs)


def test_a_yes_to_a_quote_made_before_another_chat_switched_plans_changes_nothing(live_engine, gateway):
    quoted = DEMO_NOW
    first = offer_made(live_engine, "dan@example.com", "dan-widget", at=quoted, kind=OfferKind.PLAN_CHANGE,
                       plan_id="pro-monthly", from_plan="starter-monthly", amount=0, currency="usd")
    other = offer_made(live_engine, "dan@example.com", "dan-email", at=quoted + timedelta(minutes=1),
                       kind=OfferKind.PLAN_CHANGE, plan_id="starter-yearly", from_plan="starter-monthly",
                       amount=0, currency="usd")
    switched = change_plan("dan@example.com", "starter-yearly", gateway=gateway, engine=live_engine,
                           consent=said_yes(live_engine, other, "dan@example.com", at=quoted + timedelta(minutes=1)))
    assert switched.status == "changed"
    late_yes = said_yes(live_engine, first, "dan@example.com", at=quoted + timedelta(minutes=2))
    result = change_plan("dan@example.com", "pro-monthly", consent=late_yes, gateway=gateway, engine=live_engine)
    assert result.status == "outdated"
    sub = subscription_of(live_engine, "dan@example.com")
    assert sub.plan == "starter-yearly" and gateway.subscription(sub.stripe_id)["plan"].startswith("starter-yearly")
    assert ledger_rows(live_engine) == [("plan_change", "succeeded")]


def test_a_quote_from_before_a_renewal_is_not_carried_out(live_engine, gateway):
    quoted = DEMO_NOW
    offer = offer_made(live_engine, "dan@example.com", "dan-renewal", at=quoted, kind=OfferKind.PLAN_CHANGE,
                       plan_id="pro-monthly", from_plan="starter-monthly", amount=0, currency="usd")
    with unit_of_work(live_engine) as session:  # the period the quote was priced in is over
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "dan@example.com")).scalar_one()
        sub.current_period_start, sub.current_period_end = quoted + timedelta(minutes=1), quoted + timedelta(days=31)
    yes = said_yes(live_engine, offer, "dan@example.com", at=quoted + timedelta(minutes=2))
    assert change_plan("dan@example.com", "pro-monthly", consent=yes, gateway=gateway,
                       engine=live_engine).status == "outdated"
    assert ledger_rows(live_engine) == []


def test_the_change_is_prorated_at_the_moment_the_preview_quoted(live_engine, localstripe):
    from bot.app.plan_changes import preview_plan_change
    recording = RecordingGateway(localstripe)
    quoted = DEMO_NOW + timedelta(minutes=3, seconds=17)
    preview = preview_plan_change("dan@example.com", "pro-monthly", at=quoted, gateway=recording, engine=live_engine)
    offer = offer_made(live_engine, "dan@example.com", "dan-prorated", at=quoted, kind=OfferKind.PLAN_CHANGE,
                       plan_id="pro-monthly", from_plan=preview.from_plan, amount=preview.prorated,
                       currency="usd")
    yes = said_yes(live_engine, offer, "dan@example.com", at=quoted + timedelta(minutes=5))
    assert change_plan("dan@example.com", "pro-monthly", consent=yes, gateway=recording,
                       engine=live_engine).status == "changed"
    assert recording.prorated_at == [("preview", quoted), ("change", quoted)]


# --- item 8: after an R1 refund ended the subscription, no talk of the old period's end -------

@pytest.fixture
def running(engine, gateway, localstripe, db_url, monkeypatch):
    """The demo customers as `make run` seeds them (moved to now), and the actions pointed at
    this database and this local Stripe, as the action server is."""
    now = now_utc()
    with unit_of_work(engine) as session:
        write_customers(session, parse_seed(DEMO_SEED.read_text(), now=now))
    push_to_stripe(engine, gateway)
    for name, value in (("DATABASE_URL", db_url), ("STRIPE_API_BASE", localstripe),
                        ("CUSTOMER_TOKEN_SECRET", SECRET)):
        monkeypatch.setenv(name, value)
    return engine, now


class Chat:
    """One conversation with the actions, as Rasa would run them (events kept between turns)."""

    def __init__(self, sender: str, email: str):
        self.sender, self.events, self.slots = sender, [], {}
        self.token = issue_customer_token(email, secret=SECRET)

    def turn(self, action, text: str, intent: str) -> list[dict]:
        said = {"event": "user", "text": text, "metadata": {"customer_token": self.token}, "input_channel": "rest",
                "parse_data": {"intent": {"name": intent}, "entities": []}}
        self.events.append(said)
        tracker = Tracker(self.sender, dict(self.slots), {**said["parse_data"], "text": text,
                                                         "metadata": said["metadata"]},
                          list(self.events), False, None, {}, "rest")
        dispatcher = CollectingDispatcher()
        events = action.run(dispatcher, tracker, {})
        if inspect.iscoroutine(events):  # actions that read with the encoder run in a worker thread
            events = asyncio.run(events)
        for event in events:
            self.events.append(event)
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        self.events.append({"event": "action", "name": "action_listen"})
        return dispatcher.messages


def test_after_an_r1_refund_ended_the_subscription_no_answer_says_access_runs_on(running):
    engine, now = running
    old_end = day(subscription_of(engine, "ana@example.com").current_period_end, now=now)
    chat = Chat("ana-after-r1", "ana@example.com")
    chat.turn(ActionAssessRefund(), "I cancelled a day late, can I get my money back?", "late_cancellation")
    done = chat.turn(ActionAnswerYes(), "yes", "affirm")
    assert [m.get("response") for m in done][:1] == ["utter_cancelled_now"] and "refunded $46.55" in done[1]["text"]
    said = [done[1]["text"]]
    for question in ("ask_when", "ask_what_next", "ask_how_much"):
        said += [m["text"] for m in chat.turn(ActionAnswerFollowUp(), "and then?", question)]
    cancel = chat.turn(ActionOfferCancellation(), "cancel my subscription", "cancel_subscription")
    assert [m["response"] for m in cancel] == ["utter_subscription_ended"]
    said += [m["text"] for m in chat.turn(ActionAnswerFollowUp(), "when does my access end?", "ask_when")]
    said += [m["text"] for m in chat.turn(ActionCheckSubscription(), "what plan am I on?", "check_subscription")]
    said += [m["text"] for m in chat.turn(ActionAnswerFollowUp(), "until when?", "ask_when")]
    assert not [text for text in said if old_end in text or "runs until" in text or "keep access" in text], said
    assert "$46.55: your payment of $49.00 less the $2.45 processing fee." in said
    assert "Your subscription has already ended, and you won't be charged again." in said
