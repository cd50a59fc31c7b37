"""Money movements, exactly once.

A movement is a ledger row written (status `pending`) before Stripe is called, keyed
by a deterministic idempotency key. Exactly one caller claims it (`in_flight`) with a
conditional update, calls Stripe with the same key, and records the outcome. A
repeated request finds the row; a crashed caller's claim lapses after a lease and the
next attempt asks Stripe whether the movement already happened (the gateway looks for
the key in the object's metadata, which also covers servers that ignore the key).
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.billing.events import MovementFailed, RefundReturned, publish
from bot.billing.gateway import GatewayError
from bot.clock import now_utc
from bot.core.statuses import FINISHED, REFUND_RETURNED, UNFINISHED, LedgerStatus, MovementKind
from bot.db import models
from bot.db.session import unit_of_work

CLAIM_LEASE = timedelta(minutes=5)  # longer than any Stripe call with its retries
# session.info: the ledger entries reversed in this transaction, for whoever tells the customers
RETURNED_REFUNDS = "returned_refunds"


class MovementRefused(ValueError):
    """Our own checks refuse the movement (for example it would over-refund)."""


class KeyTaken(MovementRefused):
    """The key already names a different movement (another amount, charge or kind): handing
    that row back would report the other movement as this one's."""

    def __init__(self, entry: models.LedgerEntry):
        super().__init__(f"the movement {entry.idempotency_key} already exists as a {entry.kind} of "
                         f"{entry.amount} ({entry.status})")
        self.entry = entry


def refund_key(charge: models.Charge, rule: str) -> str:
    # One refund per charge per rule: a customer who asks twice gets the same refund.
    return f"refund-{charge.external_id}-{rule}"


def lock_charge(session, charge: models.Charge) -> models.Charge:
    """The charge, locked for this transaction and read afresh: what remains refundable cannot
    change under a caller until it commits (on SQLite, writers are serialised anyway)."""
    return session.execute(select(models.Charge).where(models.Charge.id == charge.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def record_refund(session, *, charge: models.Charge, amount: int, rule: str,
                  decision_id: int | None, key: str | None = None) -> models.LedgerEntry:
    """The pending ledger row for a refund, or the existing one for the same key."""
    key = key or refund_key(charge, rule)
    existing = by_key(session, key)
    if existing is not None:
        return _same(existing, kind=MovementKind.REFUND, amount=amount, charge_id=charge.id)
    remaining = refundable(session, lock_charge(session, charge))  # two keys cannot both pass the check
    if amount <= 0 or amount > remaining:
        raise MovementRefused(
            f"refund of {amount} on charge {charge.external_id} exceeds what remains ({remaining})")
    return _insert(session, models.LedgerEntry(
        idempotency_key=key, kind=MovementKind.REFUND, status=LedgerStatus.PENDING, decision_id=decision_id,
        customer_id=charge.customer_id, charge_id=charge.id, amount=amount,
        currency=charge.currency,
        params={"stripe_charge": charge.stripe_id, "rule": rule, "charge_ref": charge.external_id}))


def refundable(session, charge: models.Charge) -> int:
    """What remains to refund on a locked charge (`lock_charge`): what Stripe has not refunded
    yet, less the refunds of ours under way."""
    in_progress = session.execute(
        select(func.coalesce(func.sum(models.LedgerEntry.amount), 0)).where(
            models.LedgerEntry.charge_id == charge.id, models.LedgerEntry.kind == MovementKind.REFUND,
            models.LedgerEntry.status.in_(UNFINISHED))
    ).scalar_one()
    return charge.amount - charge.refunded - in_progress


def record_cancellation(session, *, subscription: models.Subscription, at_period_end: bool,
                        decision_id: int | None, key: str) -> models.LedgerEntry:
    existing = by_key(session, key)
    if existing is not None:
        return _same(existing, kind=MovementKind.CANCEL, customer_id=subscription.customer_id,
                     at_period_end=at_period_end)
    return _insert(session, models.LedgerEntry(
        idempotency_key=key, kind=MovementKind.CANCEL, status=LedgerStatus.PENDING, decision_id=decision_id,
        customer_id=subscription.customer_id, amount=0,
        params={"stripe_subscription": subscription.stripe_id, "at_period_end": at_period_end,
                "subscription_id": subscription.id}))


def record_credit(session, *, customer: models.Customer, amount: int, currency: str,
                  decision_id: int | None, key: str, description: str) -> models.LedgerEntry:
    existing = by_key(session, key)
    if existing is not None:
        return _same(existing, kind=MovementKind.CREDIT, amount=amount, customer_id=customer.id)
    if amount <= 0:
        raise MovementRefused("a credit must be a positive amount")
    return _insert(session, models.LedgerEntry(
        idempotency_key=key, kind=MovementKind.CREDIT, status=LedgerStatus.PENDING, decision_id=decision_id,
        customer_id=customer.id, amount=amount, currency=currency,
        params={"stripe_customer": customer.stripe_id, "description": description}))


def record_plan_change(session, *, customer_id: int, key: str, params: dict) -> models.LedgerEntry:
    existing = by_key(session, key)
    if existing is not None:
        return _same(existing, kind=MovementKind.PLAN_CHANGE, customer_id=customer_id,
                     stripe_plan=params.get("stripe_plan"))
    return _insert(session, models.LedgerEntry(
        idempotency_key=key, kind=MovementKind.PLAN_CHANGE, status=LedgerStatus.PENDING, customer_id=customer_id,
        amount=0, currency=params["currency"], params=params))


def by_key(session, key: str) -> models.LedgerEntry | None:
    return session.execute(
        select(models.LedgerEntry).where(models.LedgerEntry.idempotency_key == key)
    ).scalar_one_or_none()


def _same(existing: models.LedgerEntry, **expected) -> models.LedgerEntry:
    """The existing row for a key, if it is the movement asked for; KeyTaken if not. Columns
    are compared as they are; other names (`at_period_end`, `stripe_plan`) in its params."""
    for name, value in expected.items():
        held = getattr(existing, name) if hasattr(models.LedgerEntry, name) else (existing.params or {}).get(name)
        if held != value:
            raise KeyTaken(existing)
    return existing


def _insert(session, entry: models.LedgerEntry) -> models.LedgerEntry:
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        # Another request wrote the same key first: that row is the movement, if it is this one.
        existing = by_key(session, entry.idempotency_key)
        if existing is None:
            raise
        return _same(existing, kind=entry.kind, amount=entry.amount, customer_id=entry.customer_id,
                     charge_id=entry.charge_id)
    return entry


def execute(engine: Engine, gateway, key: str, *, wait_seconds: float = 10.0) -> models.LedgerEntry:
    """Carry out the movement `key` once; callers that lose the claim wait for its outcome."""
    deadline = time.monotonic() + wait_seconds
    while True:
        entry = try_execute(engine, gateway, key)
        if entry is not None:
            return entry
        with unit_of_work(engine) as session:
            current = by_key(session, key)
        if current.status in FINISHED or time.monotonic() > deadline:
            return current
        time.sleep(0.05)


def try_execute(engine: Engine, gateway, key: str, *, now: datetime | None = None) -> models.LedgerEntry | None:
    """Carry out `key` if this caller wins the claim; None if it is done or someone else has it.

    `now` decides whether an abandoned claim has lapsed (reconciliation passes its own)."""
    entry = _claim(engine, key, now)
    return _perform(engine, gateway, entry) if entry is not None else None


def _claim(engine: Engine, key: str, now: datetime | None = None) -> models.LedgerEntry | None:
    now = now or now_utc()
    with unit_of_work(engine) as session:
        claimed = session.execute(
            update(models.LedgerEntry)
            .where(models.LedgerEntry.idempotency_key == key)
            .where((models.LedgerEntry.status == LedgerStatus.PENDING)
                   | ((models.LedgerEntry.status == LedgerStatus.IN_FLIGHT)
                      & (models.LedgerEntry.updated_at < now - CLAIM_LEASE)))
            .values(status=LedgerStatus.IN_FLIGHT, attempts=models.LedgerEntry.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        return by_key(session, key) if claimed == 1 else None


def _perform(engine: Engine, gateway, entry: models.LedgerEntry) -> models.LedgerEntry:
    try:
        result = _call_stripe(gateway, entry)
    except GatewayError as exc:
        with unit_of_work(engine) as session:
            row = by_key(session, entry.idempotency_key)
            if exc.retryable:
                row.status, row.error, row.updated_at = LedgerStatus.PENDING, str(exc), now_utc()
            else:
                fail(session, row, str(exc))
            return row
    with unit_of_work(engine) as session:
        row = by_key(session, entry.idempotency_key)
        if entry.kind == MovementKind.REFUND and result.get("status") in REFUND_RETURNED:
            # A retry found the refund already made and since failed (a crash had hidden the
            # reply until the bank sent the money back): never recorded as paid.
            _mirror_refund(session, row, result)
            mark_refund_returned(session, row, result, now_utc())
            return row
        row.status, row.stripe_id, row.error, row.updated_at = LedgerStatus.SUCCEEDED, result["id"], None, now_utc()
        _apply_to_mirror(session, row, result)
        return row


def _call_stripe(gateway, entry: models.LedgerEntry) -> dict:
    params = entry.params
    metadata = {"ledger_id": str(entry.id), "decision_id": str(entry.decision_id or "")}
    if entry.kind == MovementKind.REFUND:
        return gateway.refund(params["stripe_charge"], entry.amount,
                              idempotency_key=entry.idempotency_key, metadata=metadata)
    if entry.kind == MovementKind.CANCEL:
        return gateway.cancel_subscription(params["stripe_subscription"],
                                           at_period_end=params["at_period_end"],
                                           idempotency_key=entry.idempotency_key)
    if entry.kind == MovementKind.CREDIT:
        return gateway.credit_next_invoice(params["stripe_customer"], entry.amount, entry.currency,
                                           description=params["description"],
                                           idempotency_key=entry.idempotency_key)
    if entry.kind == MovementKind.PLAN_CHANGE:
        return gateway.change_plan(params["stripe_subscription"], params["stripe_plan"],
                                   proration_date=datetime.fromisoformat(params["proration_date"]),
                                   idempotency_key=entry.idempotency_key)
    raise ValueError(f"unknown movement kind {entry.kind!r}")


def _mirror_refund(session, entry: models.LedgerEntry, refund: dict) -> None:
    """The ledger's refund in the mirror. One Stripe failed or canceled is kept with that
    status, so neither the charge nor the rules count it and later webhooks change nothing."""
    charge = session.get(models.Charge, entry.charge_id)
    returned = refund.get("status") in REFUND_RETURNED
    if not returned:
        charge.refunded += entry.amount
    session.add(models.Refund(
        customer_id=entry.customer_id, charge_ref=charge.external_id, amount=entry.amount,
        rule=entry.params.get("rule"), created=now_utc(), stripe_id=refund["id"], origin="ledger",
        status=refund["status"] if returned else LedgerStatus.SUCCEEDED))


def _apply_to_mirror(session, entry: models.LedgerEntry, result: dict) -> None:
    """Make the mirror show what Stripe now holds, in the same transaction as the ledger."""
    if entry.kind == MovementKind.REFUND:
        _mirror_refund(session, entry, result)
    elif entry.kind == MovementKind.CANCEL:
        sub = session.get(models.Subscription, entry.params["subscription_id"])
        if entry.params["at_period_end"]:
            sub.cancel_at_period_end = True
        else:
            sub.status, sub.canceled_at = "canceled", now_utc()
    elif entry.kind == MovementKind.PLAN_CHANGE:
        sub = session.get(models.Subscription, entry.params["subscription_id"])
        sub.plan, sub.price = entry.params["plan_id"], entry.params["price"]
        sub.currency, sub.interval = entry.params["currency"], entry.params["interval"]
        if result.get("current_period_start") and result.get("current_period_end"):
            # Another interval starts a new period at once: the period is Stripe's, not the old one.
            sub.current_period_start = result["current_period_start"]
            sub.current_period_end = result["current_period_end"]
    if entry.decision_id:
        decision = session.get(models.DecisionRecord, entry.decision_id)
        decision.executed = {**(decision.executed or {}), entry.kind: result["id"]}


def fail(session: Session, entry: models.LedgerEntry, error: str) -> None:
    """The movement will not be made: the ledger says so (`error` is for people, never for
    customers) and `MovementFailed` is published for people to follow up (bot/app/cases.py)."""
    at = now_utc()
    entry.status, entry.error, entry.updated_at = LedgerStatus.FAILED, error, at
    publish(session, MovementFailed(
        ledger_key=entry.idempotency_key, kind=entry.kind, customer_id=entry.customer_id,
        decision_id=entry.decision_id, amount=entry.amount, currency=entry.currency, error=error, at=at))


def abandon(engine: Engine, key: str, reason: str) -> None:
    """Fail a movement still waiting to be made, because what it depended on failed."""
    with unit_of_work(engine) as session:
        entry = by_key(session, key)
        if entry.status == LedgerStatus.PENDING:
            fail(session, entry, reason)


def mark_refund_returned(session: Session, entry: models.LedgerEntry, refund: dict, at: datetime) -> None:
    """The bot's refund came back from Stripe failed or canceled: the ledger says so, never
    "succeeded", and `RefundReturned` is published for people to follow up (the handler
    opens a ticket, bot/app/cases.py). The entry is listed in
    `session.info[RETURNED_REFUNDS]` for whoever tells the customer."""
    reason = refund.get("failure_reason") or "no reason given"
    entry.status, entry.stripe_id, entry.updated_at = LedgerStatus.REVERSED, refund["id"], now_utc()
    entry.error = f"Stripe reports the refund {refund['status']} after making it ({reason})"
    publish(session, RefundReturned(
        ledger_key=entry.idempotency_key, refund_id=entry.stripe_id, customer_id=entry.customer_id,
        decision_id=entry.decision_id, amount=entry.amount, currency=entry.currency or "usd",
        error=entry.error, at=at))
    session.info.setdefault(RETURNED_REFUNDS, []).append(entry)
