"""Refunds in Stripe's events: the bot's own never counted twice, anyone's that Stripe fails
later lowers the mirror once, and a refund of the bot's that came back goes to people."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from bot.app.refunds import assess_refund, carry_out_refund
from bot.billing import ledger
from bot.billing.mirror.follow import handle_event
from bot.billing.reconcile import reconcile
from bot.clock import now_utc
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW
from tests.integration.test_stripe_events import event, repository_account, scalar
from tests.support.consent import accepted_offer


def _stripe_charge_of(engine, external_id: str) -> models.Charge:
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == external_id)).scalar_one()
        session.expunge(charge)
    return charge


def _refund_events(gateway, charge_stripe_id: str) -> list[dict]:
    charge = gateway.client.charges.retrieve(charge_stripe_id).to_dict()
    refunds = gateway.client.refunds.list(params={"charge": charge_stripe_id}).to_dict()["data"]
    later = int(time.time()) + 5  # after every change the mirror has, like a real delivery
    return [event("refund.created", refund, later) for refund in refunds] + [event("charge.refunded", charge, later)]


def _mirror_refunds(engine, charge: models.Charge) -> tuple[int, int]:
    refunded = scalar(engine, select(models.Charge.refunded).where(models.Charge.id == charge.id))
    rows = scalar(engine, select(func.count(models.Refund.id)).where(models.Refund.charge_ref == charge.external_id))
    return refunded, rows


def test_the_webhook_of_a_refund_the_bot_made_is_not_counted_twice(live_engine, gateway):
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    with unit_of_work(live_engine) as session:
        entry = ledger.record_refund(session, charge=charge, amount=4655, rule="R1", decision_id=None)
        key = entry.idempotency_key
    assert ledger.execute(live_engine, gateway, key).status == "succeeded"
    assert _mirror_refunds(live_engine, charge) == (4655, 1)
    for delivered in _refund_events(gateway, charge.stripe_id):
        handle_event(delivered, engine=live_engine)
    assert _mirror_refunds(live_engine, charge) == (4655, 1)


def test_a_bot_refund_whose_webhook_comes_before_the_ledger_finishes_counts_once(live_engine, gateway):
    # Stripe refunded, but the reply was lost: the ledger row is still pending when the events come.
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    with unit_of_work(live_engine) as session:
        key = ledger.record_refund(session, charge=charge, amount=4655, rule="R1",
                                      decision_id=None).idempotency_key
    gateway.refund(charge.stripe_id, 4655, idempotency_key=key, metadata={})
    for delivered in _refund_events(gateway, charge.stripe_id):
        handle_event(delivered, engine=live_engine)
    assert _mirror_refunds(live_engine, charge) == (0, 0)
    assert ledger.execute(live_engine, gateway, key).status == "succeeded"  # finds Stripe's refund by key
    assert _mirror_refunds(live_engine, charge) == (4655, 1)
    assert len(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data) == 1


def test_a_refund_made_outside_the_bot_is_mirrored(live_engine, gateway):
    charge = _stripe_charge_of(live_engine, "ch_dan_1")
    gateway.client.refunds.create(params={"charge": charge.stripe_id, "amount": 500})
    for delivered in _refund_events(gateway, charge.stripe_id):
        assert handle_event(delivered, engine=live_engine) == "applied"
    assert _mirror_refunds(live_engine, charge) == (500, 1)
    assert scalar(live_engine, select(models.Refund.origin).where(
        models.Refund.charge_ref == "ch_dan_1")) == "stripe"


def _returned(refund: dict, status: str = "failed", at: int | None = None) -> dict:
    """Stripe's event for a refund it accepted and later failed (the card was closed)."""
    return event("refund.updated", {**refund, "status": status, "failure_reason": "expired_or_canceled_card"},
                 at or int(time.time()) + 10)


def test_a_bot_refund_that_fails_later_lowers_the_mirror_once_and_goes_to_people(live_engine, gateway):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine,
                             channel="rest", conversation_id="ana-returned")
    paid = carry_out_refund(decision.decision_id, email="ana@example.com",
                            consent=accepted_offer(live_engine, "ana@example.com",
                                                   decision_id=decision.decision_id), now=DEMO_NOW,
                            gateway=gateway, engine=live_engine)
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    refund = gateway.client.refunds.retrieve(paid.refund_id).to_dict()
    before_failure = gateway.client.charges.retrieve(charge.stripe_id).to_dict()  # amount_refunded 4655

    failed_at, conversations = int(time.time()) + 10, Conversations()
    assert handle_event(_returned(refund, at=failed_at), engine=live_engine, notifier=conversations) == "applied"
    assert handle_event(_returned(refund, at=failed_at + 1), engine=live_engine,
                        notifier=conversations) == "unchanged"  # a repeat
    assert handle_event(_returned(refund, "canceled", failed_at + 2), engine=live_engine) == "unchanged"
    [told] = conversations.told  # once, in the conversation the refund was promised in
    assert told["conversation_id"] == "ana-returned" and "bank sent it back" in told["text"]
    # A charge state from before the failure, delivered late, must not bring the refund back.
    assert handle_event(event("charge.refunded", before_failure, failed_at - 5), engine=live_engine) == "unchanged"
    assert _mirror_refunds(live_engine, charge) == (0, 1)
    assert scalar(live_engine, select(models.Refund.status).where(models.Refund.stripe_id == refund["id"])) == "failed"
    with unit_of_work(live_engine) as session:
        entry = session.execute(select(models.LedgerEntry).where(models.LedgerEntry.kind == "refund")).scalar_one()
        assert entry.status == "reversed" and "failed after making it" in entry.error
        [case] = session.execute(select(models.ReviewCase)).scalars().all()
        assert (case.kind, case.reason, case.conversation_id) == ("ticket", f"refund_failed:{refund['id']}",
                                                                  "ana-returned")
        assert "46.55 USD" in case.customer_note

    # The rules see no refund on that charge any more; the bot does not pay it again on its own.
    assert repository_account(live_engine, "ana@example.com").refunds == ()
    again = carry_out_refund(decision.decision_id, email="ana@example.com",
                             consent=accepted_offer(live_engine, "ana@example.com",
                                                    decision_id=decision.decision_id), now=DEMO_NOW,
                             gateway=gateway, engine=live_engine)
    assert again.status == "reversed" and "sent it back" in again.message
    assert len(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data) == 1


class BankSendsRefundsBack:
    """Stripe as it answers once the bank has returned a refund: the same refund, now failed."""

    def __init__(self, gateway):
        self.gateway = gateway

    def refund(self, *args, **kwargs):
        return {**self.gateway.refund(*args, **kwargs), "status": "failed",
                "failure_reason": "expired_or_canceled_card"}


class Conversations:
    def __init__(self):
        self.told = []

    def tell(self, **message):
        self.told.append(message)


def test_a_refund_that_failed_before_the_ledger_heard_back_is_never_recorded_as_paid(live_engine, gateway,
                                                                                    wire):
    announced = []
    wire(announce=announced.append)
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine,
                             channel="rest", conversation_id="ana-lost-reply")
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    with unit_of_work(live_engine) as session:
        key = ledger.record_refund(session, charge=charge, amount=4655, rule="R1",
                                      decision_id=decision.decision_id).idempotency_key
    # The action server died after Stripe made the refund; then the bank sent it back.
    refund = gateway.refund(charge.stripe_id, 4655, idempotency_key=key, metadata={})
    assert handle_event(_returned(refund), engine=live_engine) == "unchanged"  # the ledger's, still unfinished

    conversations = Conversations()
    [done] = reconcile(live_engine, BankSendsRefundsBack(gateway), now=now_utc() + timedelta(hours=1),
                       notifier=conversations)
    assert (done.status, done.stripe_id, done.customer_told) == ("reversed", refund["id"], True)
    assert _mirror_refunds(live_engine, charge) == (0, 1)  # recorded, as failed: counted by nothing
    assert repository_account(live_engine, "ana@example.com").refunds == ()
    [told] = conversations.told
    assert told["conversation_id"] == "ana-lost-reply" and "bank sent it back" in told["text"]
    with unit_of_work(live_engine) as session:
        [case] = session.execute(select(models.ReviewCase)).scalars().all()
        assert (case.kind, case.reason) == ("ticket", f"refund_failed:{refund['id']}")
    assert [a["id"] for a in announced] == [case.id]  # the support channel hears of it, once
    assert handle_event(_returned(refund, at=int(time.time()) + 60), engine=live_engine) == "unchanged"
    assert _mirror_refunds(live_engine, charge) == (0, 1) and len(announced) == 1


def test_a_refund_made_outside_the_bot_that_fails_later_lowers_the_mirror(live_engine, gateway):
    charge = _stripe_charge_of(live_engine, "ch_dan_1")
    refund = gateway.client.refunds.create(params={"charge": charge.stripe_id, "amount": 500}).to_dict()
    for delivered in _refund_events(gateway, charge.stripe_id):
        handle_event(delivered, engine=live_engine)
    assert _mirror_refunds(live_engine, charge) == (500, 1)
    assert handle_event(_returned(refund), engine=live_engine) == "applied"
    assert _mirror_refunds(live_engine, charge) == (0, 1)
    assert scalar(live_engine, select(func.count(models.ReviewCase.id))) == 0  # not the bot's money to chase
