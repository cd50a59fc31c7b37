"""Review cases: what the assistant hands to people, opened once per conversation and reason."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.db import models
from bot.domain import Outcome
from bot.policy import Policy

KIND_BY_OUTCOME = {
    Outcome.REVIEW_REFUND.value: "refund",
    Outcome.REVIEW_CREDIT.value: "credit",
    Outcome.TICKET.value: "ticket",
}
HANDOFF_REASON = "asked_for_person"
OPEN_STATUSES = ("open", "claimed")
NOTE_LIMIT = 2000  # what the customer wrote, kept short enough to read in a queue


def dedupe_key(conversation_id: str | None, reason: str, decision_id: int | None) -> str:
    # Without a conversation (a CLI or console caller) the decision is the unit.
    anchor = f"conversation:{conversation_id}" if conversation_id else f"decision:{decision_id}"
    return f"{anchor}:{reason}"


def open_case(session, *, kind: str, reason: str, now: datetime, policy: Policy,
              customer: models.Customer | None = None,
              decision: models.DecisionRecord | None = None,
              channel: str | None = None, conversation_id: str | None = None,
              note: str = "") -> tuple[models.ReviewCase, bool]:
    """The case for this conversation and reason: the existing one, or a new one.

    Returns (case, created). A unique key, not a read-then-insert, settles the race of
    two replicas handling the same message.
    """
    key = dedupe_key(conversation_id, reason, decision.id if decision else None)
    existing = _by_key(session, key)
    if existing is not None:
        return existing, False
    proposed = 0
    if decision is not None:
        proposed = decision.credit if kind == "credit" else decision.refund
    case = models.ReviewCase(
        dedupe_key=key, kind=kind, status="open", customer_id=customer.id if customer else None,
        decision_id=decision.id if decision else None, rule=decision.rule if decision else None,
        reason=reason, channel=channel, conversation_id=conversation_id,
        proposed_amount=proposed, currency=decision.currency if decision else None,
        customer_note=note[:NOTE_LIMIT], due_at=now + timedelta(hours=policy.review_response_hours),
        created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
            session.add(models.CaseEvent(case_id=case.id, at=now, actor="assistant",
                                         action="opened", detail={"kind": kind, "reason": reason}))
            session.flush()
    except IntegrityError:
        existing = _by_key(session, key)
        if existing is None:
            raise
        return existing, False
    return case, True


def _by_key(session, key: str) -> models.ReviewCase | None:
    return session.execute(
        select(models.ReviewCase).where(models.ReviewCase.dedupe_key == key)
    ).scalar_one_or_none()


def case_summary(case: models.ReviewCase, created: bool) -> dict:
    """What the assistant tells the customer about their case, and what the support
    channel is told about a new one."""
    return {"case_id": case.id, "case_created": created, "case_status": case.status,
            "case_due": case.due_at.isoformat(), "case_kind": case.kind,
            "announcement": {"id": case.id, "kind": case.kind, "rule": case.rule,
                             "proposed_amount": case.proposed_amount, "currency": case.currency,
                             "customer": case.customer.email if case.customer else None}}
