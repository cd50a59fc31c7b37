"""Exactly-once money: the ledger, our over-refund check and concurrency, on a real localstripe."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import offers
from bot.app.refunds import assess_refund, carry_out_refund
from bot.billing import ledger
from bot.billing.gateway import StripeGateway
from bot.core.statuses import OfferKind
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW
from tests.support.consent import accepted_offer


def ledger_rows(engine, kind="refund"):
    with unit_of_work(engine) as session:
        return session.execute(select(models.LedgerEntry).where(models.LedgerEntry.kind == kind)).scalars().all()


def charge(engine, external_id):
    with unit_of_work(engine) as session:
        return session.execute(select(models.Charge).where(models.Charge.external_id == external_id)).scalar_one()


def stripe_refunds(gateway, stripe_charge):
    return list(gateway.client.refunds.list(params={"charge": stripe_charge}).data)


def test_twenty_identical_requests_make_one_refund(live_engine, gateway):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    assert decision.rule == "R1" and decision.refund == 4655
    start = threading.Barrier(20)
    yes = accepted_offer(live_engine, "ana@example.com", decision_id=decision.decision_id)

    def confirm(_):
        start.wait()
        return carry_out_refund(decision.decision_id, now=DEMO_NOW, email="ana@example.com", consent=yes,
                                gateway=gateway, engine=live_engine)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(confirm, range(20)))

    ch = charge(live_engine, "ch_ana_2")
    refunds = stripe_refunds(gateway, ch.stripe_id)
    assert [r.amount for r in refunds] == [4655]
    rows = ledger_rows(live_engine)
    assert [(r.status, r.amount, r.stripe_id) for r in rows] == [("succeeded", 4655, refunds[0].id)]
    assert {r.refund_id for r in results} == {refunds[0].id}
    assert all(r.status == "refunded" for r in results)
    assert ch.refunded == 4655
    assert len(ledger_rows(live_engine, "cancel")) == 1


def test_two_decisions_for_the_same_charge_share_one_refund(live_engine, gateway):
    first = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    second = assess_refund("ana@example.com", "forgot_subscription", now=DEMO_NOW + timedelta(minutes=5),
                           engine=live_engine)
    a = carry_out_refund(first.decision_id, now=DEMO_NOW, email="ana@example.com", gateway=gateway,
                         consent=accepted_offer(live_engine, "ana@example.com", decision_id=first.decision_id),
                         engine=live_engine)
    b = carry_out_refund(second.decision_id, now=DEMO_NOW, email="ana@example.com", gateway=gateway,
                         consent=accepted_offer(live_engine, "ana@example.com", decision_id=second.decision_id),
                         engine=live_engine)
    assert a.refund_id == b.refund_id is not None
    assert len(stripe_refunds(gateway, charge(live_engine, "ch_ana_2").stripe_id)) == 1


def test_our_code_refuses_an_over_refund(live_engine, gateway):
    ch = charge(live_engine, "ch_ben_1")
    with unit_of_work(live_engine) as session:
        row = session.get(models.Charge, ch.id)
        with pytest.raises(ledger.MovementRefused, match="exceeds what remains"):
            ledger.record_refund(session, charge=row, amount=4901, rule="R2", decision_id=None)
        ledger.record_refund(session, charge=row, amount=4000, rule="R2", decision_id=None)
        # A pending 4000 leaves 900: a second movement under another key cannot take 901.
        with pytest.raises(ledger.MovementRefused):
            ledger.record_refund(session, charge=row, amount=901, rule="R2", decision_id=None,
                                    key="refund-ch_ben_1-agent-adjusted")
    assert stripe_refunds(gateway, ch.stripe_id) == []


@pytest.mark.parametrize("answer", [None, "declined", "withdrawn", "another-decision"])
def test_without_a_yes_to_this_refund_no_money_moves(live_engine, gateway, answer):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    other = assess_refund("ana@example.com", "forgot_subscription", now=DEMO_NOW, engine=live_engine)
    token = None
    if answer == "another-decision":
        token = accepted_offer(live_engine, "ana@example.com", decision_id=other.decision_id)
    elif answer:
        offer = offers.make_offer(conversation_id="c-no", channel="rest", email="ana@example.com",
                                  kind=OfferKind.REFUND, now=DEMO_NOW, valid_minutes=30,
                                  decision_id=decision.decision_id, engine=live_engine)
        token = offer.token
        if answer == "declined":
            offers.answer(token, conversation_id="c-no", email="ana@example.com", accept=False, now=DEMO_NOW,
                          engine=live_engine)
        else:
            offers.withdraw_open("c-no", now=DEMO_NOW, engine=live_engine)
    with pytest.raises(offers.NoConsent):
        carry_out_refund(decision.decision_id, now=DEMO_NOW, email="ana@example.com", consent=token,
                         gateway=gateway, engine=live_engine)
    assert ledger_rows(live_engine) == []
    assert stripe_refunds(gateway, charge(live_engine, "ch_ana_2").stripe_id) == []


def test_another_customer_cannot_carry_out_a_decision(live_engine, gateway):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    from bot.app.refunds import NotAllowed
    with pytest.raises(NotAllowed):
        carry_out_refund(decision.decision_id, now=DEMO_NOW, email="ben@example.com", consent=None,
                         gateway=gateway, engine=live_engine)
    assert ledger_rows(live_engine) == []


def test_stripe_outage_keeps_the_movement_pending_and_a_retry_finishes_it_once(live_engine, gateway):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    down = StripeGateway("sk_test_money_once", api_base="http://127.0.0.1:9", max_network_retries=0)
    yes = accepted_offer(live_engine, "ana@example.com", decision_id=decision.decision_id)
    result = carry_out_refund(decision.decision_id, now=DEMO_NOW, email="ana@example.com", consent=yes,
                              gateway=down, engine=live_engine)
    assert result.status == "pending"
    assert [r.status for r in ledger_rows(live_engine, "cancel")] == ["pending"]
    retry = carry_out_refund(decision.decision_id, now=DEMO_NOW, email="ana@example.com", consent=yes,
                             gateway=gateway, engine=live_engine)
    assert retry.status == "refunded"
    assert len(stripe_refunds(gateway, charge(live_engine, "ch_ana_2").stripe_id)) == 1


def test_a_crash_after_stripe_answered_is_reconciled_without_a_second_refund(live_engine, gateway):
    """The claim lapses; the next attempt finds the refund by its key in Stripe."""
    decision = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    ch = charge(live_engine, "ch_ben_1")
    with unit_of_work(live_engine) as session:
        entry = ledger.record_refund(session, charge=session.get(models.Charge, ch.id),
                                        amount=decision.refund, rule="R2",
                                        decision_id=decision.decision_id)
        key = entry.idempotency_key
    claimed = ledger._claim(live_engine, key)
    gateway.refund(ch.stripe_id, claimed.amount, idempotency_key=key, metadata={})  # then "crash"
    with unit_of_work(live_engine) as session:
        row = session.execute(select(models.LedgerEntry).where(models.LedgerEntry.idempotency_key == key)).scalar_one()
        row.updated_at = row.updated_at - ledger.CLAIM_LEASE - timedelta(seconds=1)
    entry = ledger.execute(live_engine, gateway, key)
    assert entry.status == "succeeded"
    assert len(stripe_refunds(gateway, ch.stripe_id)) == 1
    assert charge(live_engine, "ch_ben_1").refunded == decision.refund


def test_cancel_at_period_end_happens_once_and_keeps_access(live_engine, gateway):
    from bot.app.account import cancel_at_period_end
    yes = accepted_offer(live_engine, "dan@example.com", kind=OfferKind.CANCEL_AT_PERIOD_END)
    first = cancel_at_period_end("dan@example.com", consent=yes, gateway=gateway, engine=live_engine)
    again = cancel_at_period_end("dan@example.com", consent=yes, gateway=gateway, engine=live_engine)
    with pytest.raises(offers.NoConsent):
        cancel_at_period_end("dan@example.com", consent=None, gateway=gateway, engine=live_engine)
    assert first.status == "cancelled" and again.status == "not_renewing"
    with unit_of_work(live_engine) as session:
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "dan@example.com")).scalar_one()
        stripe_sub = gateway.client.subscriptions.retrieve(sub.stripe_id)
    assert sub.cancel_at_period_end and sub.status == "active"
    assert stripe_sub.cancel_at_period_end is True and stripe_sub.status != "canceled"
    assert len(ledger_rows(live_engine, "cancel")) == 1
