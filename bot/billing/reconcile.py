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
from bot.core.domain import Outcome
from bot.core.statuses import FINISHED, UNFINISHED, LedgerStatus, MovementKind
from bot.db import models
from bot.db.session import unit_of_work
from bot.notify.rasa_api import ConversationError

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
        wait, give_up = _depends_on(engine, key)
        if give_up:
            ledger.abandon(engine, key, give_up)
        if wait or give_up:
            continue
        entry = ledger.try_execute(engine, gateway, key, now=now)
        if entry is None:
            continue  # another reconciler or the original caller has it
        told = tell_customer(engine, entry, notifier) if entry.status in FINISHED else False
        log.info("reconciled movement", extra={"key": key, "status": entry.status})
        done.append(Finished(key, entry.kind, entry.status, entry.stripe_id, told))
    return done


def _depends_on(engine, key: str) -> tuple[bool, str | None]:
    """(wait, give-up reason) for an R1 movement, whose cancellation and refund go together
    (refund-rules R1): its refund is paid only after its cancellation went through, and never
    once that failed; its cancellation is made only with a refund recorded beside it (a lone
    one is what an R1 yes refused by the ledger once left behind)."""
    with unit_of_work(engine) as session:
        entry = ledger.by_key(session, key)
        decision = session.get(models.DecisionRecord, entry.decision_id) if entry.decision_id else None
        if decision is None or decision.outcome != Outcome.AUTO_REFUND.value:
            return False, None
        if entry.kind == MovementKind.CANCEL:
            refund = ledger.by_key(session, ledger.refund_key(decision.charge, decision.rule)) \
                if decision.charge else None
            alone = refund is None or refund.status == LedgerStatus.FAILED
            return False, "the refund this cancellation goes with was never recorded" if alone else None
        if entry.kind != MovementKind.REFUND:
            return False, None
        cancels = session.execute(select(models.LedgerEntry.status).where(
            models.LedgerEntry.decision_id == entry.decision_id,
            models.LedgerEntry.kind == MovementKind.CANCEL)).scalars().all()
    if LedgerStatus.FAILED in cancels:
        return False, "the cancellation this refund depends on could not be made"
    return any(status != LedgerStatus.SUCCEEDED for status in cancels), None


def customer_update(entry: models.LedgerEntry) -> str:
    return messages.movement_update(entry.kind, entry.status, entry.amount, entry.currency or "usd")


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
