"""Review cases: what the assistant hands to people: one open case per conversation, and
one open refund case per payment whichever conversation asks."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.app.dependencies import current
from bot.app.results import CaseSummary
from bot.billing.events import MovementFailed, RefundReturned, after_commit
from bot.core.domain import Outcome
from bot.core.money import format_amount
from bot.core.policy import Policy
from bot.core.statuses import DECIDABLE, MONEY_CASES, CaseKind, CaseStatus, MovementKind
from bot.db import models

KIND_BY_OUTCOME = {
    Outcome.REVIEW_REFUND.value: CaseKind.REFUND,
    Outcome.REVIEW_CREDIT.value: CaseKind.CREDIT,
    Outcome.TICKET.value: CaseKind.TICKET,
}
HANDOFF_REASON = "asked_for_person"
NOTE_LIMIT = 2000  # what the customer wrote, kept short enough to read in a queue


def dedupe_key(conversation_id: str | None, reason: str, decision_id: int | None) -> str:
    # Without a conversation (a CLI or console caller) the decision is the unit.
    anchor = f"conversation:{conversation_id}" if conversation_id else f"decision:{decision_id}"
    return f"{anchor}:{reason}"


def open_case(session, *, kind: str, reason: str, now: datetime, policy: Policy,
              customer: models.Customer | None = None,
              decision: models.DecisionRecord | None = None,
              channel: str | None = None, conversation_id: str | None = None,
              note: str = "", join_open: bool = True) -> tuple[models.ReviewCase, bool]:
    """The payment's open refund case, the conversation's open case, joined, or a new one.

    Returns (case, created). A refund review of a payment that already has an open refund
    case is that case, whichever conversation asked. A further request in a conversation with an open case joins
    it (its words are added, and a proposal it brings is attached to a case that had
    none), so the customer hears one case number and the team sees one case; `join_open`
    False keeps a case of its own (a refund Stripe sent back). A unique key, not a
    read-then-insert, settles the race of two replicas handling the same message.
    """
    key = dedupe_key(conversation_id, reason, decision.id if decision else None)
    existing = _by_key(session, key)
    if existing is not None:
        return existing, False
    # One open refund review per payment, whichever conversation asks: two cases on one
    # charge would each be approved, and the second could only pay under the first's key.
    charge_id = decision.charge_id if decision is not None and kind == CaseKind.REFUND else None
    joined = _open_refund_case(session, charge_id)
    if joined is not None:
        _asked_again(session, joined, now, channel, conversation_id)
        return joined, False
    current = open_case_of(session, conversation_id) if join_open and conversation_id else None
    if current is not None:
        _join(session, current, kind=kind, reason=reason, decision=decision, note=note, now=now)
        return current, False
    proposed = 0
    if decision is not None:
        proposed = decision.credit if kind == CaseKind.CREDIT else decision.refund
    case = models.ReviewCase(
        dedupe_key=key, kind=kind, status=CaseStatus.OPEN, customer_id=customer.id if customer else None,
        charge_id=charge_id,
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
    except IntegrityError:  # the same conversation, or another one about the same charge, won
        existing = _by_key(session, key) or _open_refund_case(session, charge_id)
        if existing is None:
            raise
        return existing, False
    return case, True


def open_case_of(session, conversation_id: str) -> models.ReviewCase | None:
    """The conversation's open (or claimed) case, the oldest if a race made two."""
    return session.execute(
        select(models.ReviewCase).where(models.ReviewCase.conversation_id == conversation_id,
                                        models.ReviewCase.status.in_(DECIDABLE))
        .order_by(models.ReviewCase.id).limit(1)).scalar_one_or_none()


def _join(session, case: models.ReviewCase, *, kind: str, reason: str, decision: models.DecisionRecord | None,
          note: str, now: datetime) -> None:
    """Add a further request to the conversation's open case."""
    if note:
        case.customer_note = (f"{case.customer_note}\n{note}" if case.customer_note else note)[-NOTE_LIMIT:]
    attaches = decision is not None and case.decision_id is None and kind in MONEY_CASES
    if attaches:  # the case gains the proposal it lacked: a person can now decide the money too
        case.kind, case.decision_id, case.rule, case.currency = kind, decision.id, decision.rule, decision.currency
        case.charge_id = decision.charge_id if kind == CaseKind.REFUND else None
        case.proposed_amount = decision.credit if kind == CaseKind.CREDIT else decision.refund
    case.updated_at = now
    session.add(models.CaseEvent(case_id=case.id, at=now, actor="assistant", action="joined",
                                 detail={"kind": kind, "reason": reason, "proposal_attached": attaches}))


def _by_key(session, key: str) -> models.ReviewCase | None:
    return session.execute(
        select(models.ReviewCase).where(models.ReviewCase.dedupe_key == key)
    ).scalar_one_or_none()


def _open_refund_case(session, charge_id: int | None) -> models.ReviewCase | None:
    if charge_id is None:
        return None
    return session.execute(select(models.ReviewCase).where(
        models.ReviewCase.charge_id == charge_id, models.ReviewCase.kind == CaseKind.REFUND,
        models.ReviewCase.status.in_(DECIDABLE))).scalars().first()


def _asked_again(session, case: models.ReviewCase, now: datetime, channel: str | None,
                 conversation_id: str | None) -> None:
    """The case's history shows each other conversation that asked about the same charge."""
    if conversation_id in (None, case.conversation_id):
        return
    if any(e.action == "asked_again" and e.detail.get("conversation_id") == conversation_id for e in case.events):
        return
    session.add(models.CaseEvent(case_id=case.id, at=now, actor="assistant", action="asked_again",
                                 detail={"channel": channel, "conversation_id": conversation_id}))


def case_summary(case: models.ReviewCase, created: bool, **handoff) -> CaseSummary:
    """What the assistant tells the customer about their case, and what the support
    channel is told about a new one; `handoff` and `next_opening` for a person asked for."""
    return CaseSummary(
        case_id=case.id, case_created=created, case_status=str(case.status), case_due=case.due_at.isoformat(),
        case_kind=str(case.kind), announcement={"id": case.id, "kind": case.kind, "rule": case.rule,
                                                "proposed_amount": case.proposed_amount, "currency": case.currency,
                                                "customer": case.customer.email if case.customer else None},
        **handoff)


def announce_if_new(summary: CaseSummary | None) -> None:
    """Tell the support channel about a case the moment it exists (after it is committed)."""
    if summary is not None and summary.case_created:
        current().announce(summary.announcement)


def open_ticket_for_returned_refund(session, event: RefundReturned) -> None:
    """A refund of the bot's came back from Stripe: a ticket (not a refund case: people
    contact the customer and pay another way; nothing is paid again by a click), announced
    in the support channel once the transaction holding it commits. Subscribed by
    bot.app.bootstrap to what billing publishes."""
    decision = session.get(models.DecisionRecord, event.decision_id) if event.decision_id else None
    case, created = open_case(
        session, kind=CaseKind.TICKET, reason=f"refund_failed:{event.refund_id}", now=event.at,
        policy=current().policy(),
        join_open=False,
        customer=session.get(models.Customer, event.customer_id), decision=decision,
        channel=decision.channel if decision else None,
        conversation_id=decision.conversation_id if decision else None,
        note=f"Stripe returned the refund {event.refund_id} of "
             f"{format_amount(event.amount, event.currency)}: {event.error}")
    _announce_once_committed(session, case, created)


def follow_up_reason(decision_id: int) -> str:
    return f"movement_failed:d{decision_id}"


def follow_up_failed_movement(session, event: MovementFailed) -> None:
    """Money the rules or an agent decided (a refund, a credit, an R1 cancellation) that will
    not be made: the agent's case, if an approval made it, is marked failed, and one ticket per
    decision goes to people, announced once the transaction holding it commits. A plan change or
    a stopped renewal has no decision: the customer is told there and then to ask for a person.
    Subscribed by bot.app.bootstrap to what billing publishes."""
    if event.decision_id is None:
        return
    decision = session.get(models.DecisionRecord, event.decision_id)
    noun = "cancellation" if event.kind == MovementKind.CANCEL else str(event.kind)
    what = f"The {noun}" + (f" of {format_amount(event.amount, event.currency)}" if event.amount else "")
    approved = session.execute(select(models.ReviewCase).where(
        models.ReviewCase.decision_id == decision.id, models.ReviewCase.kind.in_(MONEY_CASES),
        models.ReviewCase.status.in_((CaseStatus.APPROVED, CaseStatus.ADJUSTED)))).scalars().first()
    if approved is not None and (decision.executed or {}).get("ledger_key") == event.ledger_key:
        approved.status, approved.updated_at = CaseStatus.FAILED, event.at
        session.add(models.CaseEvent(case_id=approved.id, at=event.at, actor="system", action="movement_failed",
                                     detail={"error": event.error}))
        what += f" that {approved.decided_by} approved on case #{approved.id}"
    case, created = open_case(
        session, kind=CaseKind.TICKET, reason=follow_up_reason(decision.id), now=event.at, policy=current().policy(),
        join_open=False, customer=session.get(models.Customer, event.customer_id), decision=decision,
        channel=decision.channel, conversation_id=decision.conversation_id,
        note=f"{what} could not be made ({event.error}). Contact the customer and settle it.")
    _announce_once_committed(session, case, created)


def _announce_once_committed(session, case: models.ReviewCase, created: bool) -> None:
    if created:
        announcement = case_summary(case, created).announcement
        after_commit(session, lambda: current().announce(announcement))


def follow_up_of(session, decision_id: int) -> models.ReviewCase | None:
    """The ticket opened because money this decision moves could not be made, if any."""
    return session.execute(select(models.ReviewCase).where(
        models.ReviewCase.decision_id == decision_id,
        models.ReviewCase.reason == follow_up_reason(decision_id))).scalars().first()
