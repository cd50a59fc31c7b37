"""Where a customer's case stands, read from the database when they ask ("has anyone looked
at my case yet?"): the conversation's topic names the case, but only the database knows
whether a person has picked it up or decided it since."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app.cases import open_case_of
from bot.app.dependencies import current
from bot.core.statuses import CaseKind, CaseStatus
from bot.db import models
from bot.db.session import unit_of_work


def case_state(*, case_id: int | None, conversation_id: str, email: str | None,
               engine: Engine | None = None) -> dict | None:
    """Plain facts about the case `case_id` (else the conversation's open case), or None when
    there is none this customer or conversation may hear about. A case is told only to its own
    conversation or to its customer, proven: a case number typed into a chat lends nothing."""
    with unit_of_work(engine or current().engine()) as session:
        case = session.get(models.ReviewCase, case_id) if case_id else open_case_of(session, conversation_id)
        if case is None or not _theirs(case, conversation_id, email):
            return None
        return _state(session, case)


def refund_case_state(email: str, *, engine: Engine | None = None) -> dict | None:
    """The proven customer's latest refund case, open or decided: what "where is my refund?" is
    told when no refund has been made."""
    with unit_of_work(engine or current().engine()) as session:
        case = session.execute(
            select(models.ReviewCase).join(models.Customer, models.ReviewCase.customer_id == models.Customer.id)
            .where(models.Customer.email == email.strip().lower(), models.ReviewCase.kind == CaseKind.REFUND)
            .order_by(models.ReviewCase.id.desc()).limit(1)).scalar_one_or_none()
        return _state(session, case) if case is not None else None


def _state(session, case: models.ReviewCase) -> dict:
    agent = case.live_agent or case.decided_by or case.claimed_by
    named = agent and session.execute(
        select(models.Agent.display_name).where(models.Agent.username == agent)).scalar_one_or_none()
    return {"case_id": case.id, "kind": str(case.kind), "status": str(case.status), "rule": case.rule,
            "due": case.due_at.isoformat(), "agent": named or None,
            "picked_up": case.status != CaseStatus.OPEN or bool(case.live_agent),
            "decided_amount": case.decided_amount, "proposed_amount": case.proposed_amount,
            "currency": case.currency, "note": case.decision_note or ""}


def _theirs(case: models.ReviewCase, conversation_id: str, email: str | None) -> bool:
    if case.conversation_id == conversation_id:
        return True
    return bool(email) and case.customer is not None and case.customer.email == email.strip().lower()
