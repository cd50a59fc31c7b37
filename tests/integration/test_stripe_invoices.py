"""Invoices and customer balance transactions in the mirror, from Stripe's webhook events:
each applied once, late deliveries changing nothing, the bot's own credits told apart."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.billing.mirror.follow import handle_event
from bot.db import models
from bot.db.session import unit_of_work
from tests.integration.test_stripe_events import T0, event, link, scalar

CUSTOMER, SUBSCRIPTION = "cus_eve", "sub_eve"


@pytest.fixture
def eve(seeded_engine):
    link(seeded_engine, "eve@example.com", CUSTOMER, SUBSCRIPTION)
    return seeded_engine


def invoice(status: str, *, invoice_id: str = "in_eve_1", paid: bool = False) -> dict:
    return {"id": invoice_id, "object": "invoice", "customer": CUSTOMER, "subscription": SUBSCRIPTION,
            "status": status, "amount_due": 49000, "amount_paid": 49000 if paid else 0, "currency": "usd",
            "charge": "ch_stripe_eve_renewal" if paid else None, "created": T0, "period_start": T0,
            "period_end": T0 + 365 * 86400, "status_transitions": {"paid_at": T0 + 60 if paid else None}}


def invoice_row(engine, invoice_id: str = "in_eve_1") -> tuple:
    with unit_of_work(engine) as session:
        row = session.execute(select(models.Invoice).where(models.Invoice.stripe_id == invoice_id)).scalar_one()
        return row.status, row.amount_paid, row.charge_stripe_id, row.paid_at is not None


def test_an_invoice_follows_its_lifecycle_once_and_late_states_change_nothing(eve):
    assert handle_event(event("invoice.created", invoice("draft"), T0), engine=eve) == "applied"
    assert handle_event(event("invoice.finalized", invoice("open"), T0 + 1), engine=eve) == "applied"
    assert handle_event(event("invoice.payment_failed", invoice("open"), T0 + 2), engine=eve) == "unchanged"
    paid = event("invoice.paid", invoice("paid", paid=True), T0 + 60)
    assert handle_event(paid, engine=eve) == "applied"
    assert handle_event(paid, engine=eve) == "duplicate"
    # Delivered late, out of order: an earlier state never brings a paid invoice back.
    assert handle_event(event("invoice.finalized", invoice("open"), T0 + 1), engine=eve) == "unchanged"
    assert handle_event(event("invoice.updated", invoice("open"), T0 + 61), engine=eve) == "unchanged"
    assert invoice_row(eve) == ("paid", 49000, "ch_stripe_eve_renewal", True)
    # The payment it records is a charge the refund rules can see.
    assert scalar(eve, select(models.Charge.amount).where(models.Charge.stripe_id == "ch_stripe_eve_renewal")) == 49000
    assert scalar(eve, select(func.count(models.Invoice.id))) == 1


def test_a_voided_invoice_stays_void_and_an_uncollectible_one_can_still_be_paid(eve):
    handle_event(event("invoice.finalized", invoice("open", invoice_id="in_void"), T0), engine=eve)
    assert handle_event(event("invoice.voided", invoice("void", invoice_id="in_void"), T0 + 5), engine=eve) == "applied"
    # (No charge on it: a charge that succeeded is a payment the mirror keeps, whatever its invoice says.)
    late = event("invoice.paid", {**invoice("paid", invoice_id="in_void"), "amount_paid": 49000}, T0 + 9)
    assert handle_event(late, engine=eve) == "unchanged" and invoice_row(eve, "in_void")[0] == "void"

    handle_event(event("invoice.marked_uncollectible", invoice("uncollectible", invoice_id="in_late"), T0), engine=eve)
    handle_event(event("invoice.paid", invoice("paid", invoice_id="in_late", paid=True), T0 + 5), engine=eve)
    assert invoice_row(eve, "in_late")[0] == "paid"


def test_an_invoice_of_a_customer_the_mirror_does_not_hold_is_ignored(eve):
    stranger = {**invoice("open"), "customer": "cus_nobody"}
    assert handle_event(event("invoice.finalized", stranger, T0), engine=eve) == "unchanged"
    assert scalar(eve, select(func.count(models.Invoice.id))) == 0


def transaction(txn_id: str, amount: int, ending: int, created: int, key: str | None = None) -> dict:
    return {"id": txn_id, "object": "customer_balance_transaction", "customer": CUSTOMER, "amount": amount,
            "currency": "usd", "ending_balance": ending, "type": "adjustment", "created": created,
            "description": "credit", "metadata": {"idempotency_key": key} if key else {}}


def balance(engine) -> int:
    return scalar(engine, select(models.Customer.balance).where(models.Customer.stripe_id == CUSTOMER))


def test_balance_transactions_are_kept_once_and_the_newest_sets_the_balance(eve):
    first = event("customer.balance_transaction.created", transaction("cbtxn_1", -500, -500, T0), T0)
    second = event("customer.balance_transaction.created",
                   transaction("cbtxn_2", -300, -800, T0 + 10, key="credit-R5-finn"), T0 + 10)
    assert handle_event(second, engine=eve) == "applied"
    assert handle_event(first, engine=eve) == "applied"  # kept, but too old to set the balance
    assert handle_event(second, engine=eve) == "duplicate"
    again = event("customer.balance_transaction.updated", transaction("cbtxn_2", -300, -800, T0 + 10,
                                                                      key="credit-R5-finn"), T0 + 20)
    assert handle_event(again, engine=eve) == "unchanged"
    assert balance(eve) == -800
    with unit_of_work(eve) as session:
        rows = {r.stripe_id: (r.amount, r.ledger_key)
                for r in session.execute(select(models.BalanceTransaction)).scalars()}
    assert rows == {"cbtxn_1": (-500, None), "cbtxn_2": (-300, "credit-R5-finn")}
