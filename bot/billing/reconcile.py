"""Reconciliation: finish every movement the ledger holds but Stripe has not confirmed.

A movement stays `pending` when Stripe was down or timed out, and `in_flight` when the
process that claimed it died (killed between the ledger row and the Stripe call, or
between Stripe's reply and the ledger update). Both are finished here, with the same
idempotency key, so Stripe and the gateway's metadata lookup make the retry a no-op
when the first attempt did reach Stripe. Retries back off exponentially; a claim is only
taken over once its lease has lapsed, so a slow but living caller is never raced.

The customer whose conversation started the movement is told how it ended, by the one
reconciler that carried it out (claims are exclusive, so several reconcilers are safe).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.billing import ledger
from bot.clock import now_utc
from bot.core import messages
from bot.core.statuses import FINISHED, UNFINISHED, LedgerStatus, MovementKind
from bot.db import models
from bot.db.session import unit_of_work
from bot.notify.conversations import ConversationError

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=15)  # also leaves a fresh row to the request that wrote it
LONGEST_WAIT = timedelta(minutes=10)


@dataclass(frozen=True)
class Finished:
    key: str
    kind: str
    status: str  # succeeded | failed | reversed | pending (Stripe still unavailable)
    stripe_id: str | None
    customer_told: bool


def retry_wait(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, ... at most 10 min between tries of one movement."""
    doublings = min(max(attempts - 1, 0), 16)  # bounded: timedelta overflows long before 2**50
    return min(FIRST_RETRY * 2 ** doublings, LONGEST_WAIT)


def is_due(entry: models.LedgerEntry, now: datetime) -> bool:
    if entry.status == LedgerStatus.IN_FLIGHT:
        return entry.updated_at <= now - ledger.CLAIM_LEASE
    return entry.status == LedgerStatus.PENDING and entry.updated_at <= now - retry_wait(entry.attempts)


def due_keys(engine, now: datetime) -> list[str]:
    """Unfinished movements whose turn has come, oldest first (an R1 cancellation before its refund)."""
    with unit_of_work(engine) as session:
        rows = session.execute(select(models.LedgerEntry).where(models.LedgerEntry.status.in_(UNFINISHED))
                               .order_by(models.LedgerEntry.id)).scalars()
        return [row.idempotency_key for row in rows if is_due(row, now)]


def reconcile(engine, gateway, *, now: datetime | None = None, notifier=None) -> list[Finished]:
    """One pass over the due movements; returns what this pass carried out."""
    now = now or now_utc()
    done = []
    for key in due_keys(engine, now):
        blocker = _waiting_on(engine, key)
        if blocker == LedgerStatus.FAILED:
            _fail(engine, key, "the cancellation this refund depends on could not be made")
        if blocker:
            continue
        entry = ledger.try_execute(engine, gateway, key, now=now)
        if entry is None:
            continue  # another reconciler or the original caller has it
        told = tell_customer(engine, entry, notifier) if entry.status in FINISHED else False
        log.info("reconciled movement", extra={"key": key, "status": entry.status})
        done.append(Finished(key, entry.kind, entry.status, entry.stripe_id, told))
    return done


def _waiting_on(engine, key: str) -> str | None:
    """An R1 refund is paid only after its immediate cancellation went through (refund-rules R1)."""
    with unit_of_work(engine) as session:
        entry = ledger.by_key(session, key)
        if entry.kind != MovementKind.REFUND or entry.decision_id is None:
            return None
        cancels = session.execute(select(models.LedgerEntry.status).where(
            models.LedgerEntry.decision_id == entry.decision_id,
            models.LedgerEntry.kind == MovementKind.CANCEL)).scalars().all()
    if LedgerStatus.FAILED in cancels:
        return LedgerStatus.FAILED
    return "unfinished" if any(status != LedgerStatus.SUCCEEDED for status in cancels) else None


def _fail(engine, key: str, reason: str) -> None:
    with unit_of_work(engine) as session:
        entry = ledger.by_key(session, key)
        if entry.status == LedgerStatus.PENDING:
            entry.status, entry.error, entry.updated_at = LedgerStatus.FAILED, reason, now_utc()


def customer_update(entry: models.LedgerEntry) -> str:
    return messages.movement_update(entry.kind, entry.status, entry.amount, entry.currency or "usd",
                                    entry.stripe_id, entry.error)


def tell_customer(engine, entry: models.LedgerEntry, notifier) -> bool:
    """Tell the conversation the movement came from; a failure to tell never undoes it."""
    if notifier is None or entry.decision_id is None:
        return False
    with unit_of_work(engine) as session:
        decision = session.get(models.DecisionRecord, entry.decision_id)
        conversation = (decision.channel, decision.conversation_id)
    if not conversation[1]:
        return False
    try:
        notifier.tell(channel=conversation[0], conversation_id=conversation[1],
                      text=customer_update(entry), sender="assistant")
        return True
    except ConversationError as exc:
        log.warning("could not tell the customer", extra={"key": entry.idempotency_key, "error": str(exc)})
        return False
