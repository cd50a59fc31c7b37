"""What agents do to cases: claim, approve, adjust, deny, close; carried out once.

The case's status moves by a conditional UPDATE, so of two agents (or two presses of
one button) exactly one decides; the money then moves through the ledger under a key
per charge and rule (refunds) or per customer and period (credits), so even a second
case about the same payment cannot pay twice.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.engine import Engine

from bot.app import agents
from bot.billing import ledger
from bot.billing.gateway import StripeGateway
from bot.clock import now_utc
from bot.core import messages
from bot.core.money import format_amount
from bot.core.statuses import DECIDABLE, MONEY_CASES, CaseKind, CaseStatus, LedgerStatus
from bot.core.text import clean_text
from bot.db import models
from bot.db.session import get_engine, unit_of_work
from bot.notify.rasa_api import ConversationError

VERDICTS = {"approve": CaseStatus.APPROVED, "adjust": CaseStatus.ADJUSTED, "deny": CaseStatus.DENIED,
            "close": CaseStatus.CLOSED}


class CaseError(ValueError):
    """The action is not allowed on this case (state, ownership or amount)."""


def claim(case_id: int, agent: str, *, now: datetime, engine: Engine | None = None) -> None:
    with unit_of_work(engine) as session:
        moved = session.execute(
            update(models.ReviewCase)
            .where(models.ReviewCase.id == case_id, models.ReviewCase.status == CaseStatus.OPEN)
            .values(status=CaseStatus.CLAIMED, claimed_by=agent, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        case = get_case(session, case_id)
        if moved == 0 and case.claimed_by != agent:
            raise CaseError(_taken(case))
        if moved:
            record_event(session, case, now, agent, "claimed", {})


def assign(case_id: int, agent: str, to: str, *, now: datetime, engine: Engine | None = None) -> None:
    """Give an undecided case to a teammate (or to oneself); the one chatting live keeps it."""
    with unit_of_work(engine) as session:
        if session.execute(select(models.Agent.id).where(models.Agent.username == to)).first() is None:
            raise CaseError(f"there is no agent {to!r}")
        case = _undecided(session, case_id)
        if case.live_agent and case.live_agent != to:
            raise CaseError(f"{case.live_agent} is chatting with this customer; they hand back first")
        if case.claimed_by == to:
            return
        case.status, case.claimed_by, case.updated_at = CaseStatus.CLAIMED, to, now
        record_event(session, case, now, agent, "assigned", {"to": to})


def unassign(case_id: int, agent: str, *, now: datetime, engine: Engine | None = None) -> None:
    """Put an undecided case back in the queue for anyone to take."""
    with unit_of_work(engine) as session:
        case = _undecided(session, case_id)
        if case.live_agent:
            raise CaseError(f"{case.live_agent} is chatting with this customer; they hand back first")
        if case.claimed_by is None:
            return
        record_event(session, case, now, agent, "unassigned", {"from": case.claimed_by})
        case.status, case.claimed_by, case.updated_at = CaseStatus.OPEN, None, now


NOTE_LIMIT = 4000


def add_note(case_id: int, agent: str, text: str, *, now: datetime, engine: Engine | None = None) -> None:
    """An internal note for the team: kept in the case's history, never shown to the customer."""
    text = written(text, "note", NOTE_LIMIT)
    with unit_of_work(engine) as session:
        case = get_case(session, case_id)
        case.updated_at = now
        record_event(session, case, now, agent, "note", {"note": text, "internal": True})


def written(text: str, what: str, limit: int) -> str:
    """An agent's text, cleaned and trimmed; refused when empty or too long."""
    text = clean_text(text).strip()
    if not text:
        raise CaseError(f"the {what} is empty")
    if len(text) > limit:
        raise CaseError(f"keep a {what} under {limit} characters")
    return text


def _undecided(session, case_id: int) -> models.ReviewCase:
    case = get_case(session, case_id)
    if case.status not in DECIDABLE:
        raise CaseError(_taken(case))
    return case


def allowed_amount(case: models.ReviewCase) -> int:
    """The most an agent may grant: what remains on the charge, or the period's price."""
    if case.kind == CaseKind.REFUND and case.decision and case.decision.charge:
        charge = case.decision.charge
        return charge.amount - charge.refunded
    if case.kind == CaseKind.CREDIT and case.customer and case.customer.subscription:
        return case.customer.subscription.price
    return 0


def decide_case(case_id: int, agent: str, verdict: str, *, note: str, now: datetime,
           amount: int | None = None, gateway=None, engine: Engine | None = None,
           notifier=None) -> dict:
    """Approve (the proposal), adjust (another amount), deny, or close a case, then carry
    the money out once and tell the customer on their channel."""
    if verdict not in VERDICTS:
        raise CaseError(f"unknown decision {verdict!r}")
    note = clean_text(note)
    if not note.strip():
        raise CaseError("give the customer a reason")
    engine = engine or get_engine()
    status = VERDICTS[verdict]
    with unit_of_work(engine) as session:
        case = get_case(session, case_id)
        repeated = case.status == status and case.decided_by == agent
        if repeated:  # a second press of the same button: report it, finish a pending movement
            key = _movement_key(session, case)
    if repeated:
        return _finish(engine, gateway, case_id, key, notifier, already=True)
    with unit_of_work(engine) as session:
        case = get_case(session, case_id)
        # The case's state first: once another agent's refund went through, the amount
        # check would otherwise answer "more than the rules allow" instead of who decided.
        if case.status not in DECIDABLE or case.claimed_by not in (None, agent):
            raise CaseError(_taken(case))
        if verdict in ("approve", "adjust"):
            _refuse_if_settled(session, case)
        granted = _granted_amount(case, verdict, amount)
        moved = session.execute(
            update(models.ReviewCase)
            .where(models.ReviewCase.id == case_id, models.ReviewCase.status.in_(DECIDABLE),
                   (models.ReviewCase.claimed_by.is_(None)) | (models.ReviewCase.claimed_by == agent))
            .values(status=status, decided_by=agent, decided_amount=granted,
                    decision_note=note.strip(), updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        session.refresh(case)
        if moved == 0:
            raise CaseError(_taken(case))
        record_event(session, case, now, agent, status, {"amount": granted, "note": note.strip()})
        key = _record_movement(session, case, granted) if granted else None
        was_live = release_live_chat(session, case, agent, now)
    result = _finish(engine, gateway, case_id, key, notifier, already=False)
    if was_live and notifier is not None:  # deciding ends the live chat: the assistant answers again
        result["handed_back"] = _tell(engine, case_id, notifier, (case.channel, case.conversation_id),
                                      messages.BACK_WITH_ASSISTANT, resume=True)
    return result


def release_live_chat(session, case: models.ReviewCase, agent: str, now: datetime) -> bool:
    """End the case's live chat, if it has one: True if it had."""
    if case.live_agent is None:
        return False
    case.live_agent, case.updated_at, case.agent_typing_at, case.waiting_live_since = None, now, None, None
    record_event(session, case, now, agent, "handed_back", {})
    return True


def _taken(case: models.ReviewCase) -> str:
    who = case.decided_by or case.claimed_by
    return f"case #{case.id} is {case.status}" + (f" by {who}" if who else "")


def _granted_amount(case: models.ReviewCase, verdict: str, amount: int | None) -> int:
    if verdict in ("deny", "close"):
        if verdict == "close" and case.kind in MONEY_CASES:
            raise CaseError("a refund or credit case is approved, adjusted or denied, not closed")
        return 0
    if case.kind not in MONEY_CASES:
        raise CaseError(f"a {case.kind} case has no money to approve; close it instead")
    granted = case.proposed_amount if verdict == "approve" else amount
    if granted is None or granted <= 0:
        raise CaseError("an adjusted amount must be more than zero")
    ceiling = allowed_amount(case)
    if granted > ceiling:
        raise CaseError(f"{format_amount(granted, case.currency)} is more than the rules allow "
                        f"({format_amount(ceiling, case.currency)})")
    return granted


def _intended_key(case: models.ReviewCase) -> str:
    """The ledger key this case's money moves under: per charge and rule for a refund, per
    customer, rule and period for a credit. A second case about the same payment or period
    has the same key, and so is refused (below) rather than reported as paid. The period is
    the one the decision was about: after a renewal the subscription's is another one."""
    if case.kind == CaseKind.REFUND:
        return ledger.refund_key(case.decision.charge, case.rule or "R2")
    period_end = datetime.fromisoformat(case.decision.facts["period_end"])
    return f"credit-{case.customer_id}-{case.rule}-{period_end:%Y%m%d}"


def _refuse_if_settled(session, case: models.ReviewCase) -> None:
    """CaseError naming who settled this payment (or period) if another decision already
    moved money under this case's key."""
    if case.kind not in MONEY_CASES or case.decision is None:
        return
    if case.kind == CaseKind.REFUND and case.decision.charge is None:
        return
    entry = ledger.by_key(session, _intended_key(case))
    if entry is not None and entry.decision_id != case.decision_id:
        raise CaseError(settled_by(session, entry))


def settled_by(session, entry: models.LedgerEntry) -> str:
    """'case #12's refund of 1.00 USD for this payment was already paid by alice (reference re_1)'."""
    other = session.execute(select(models.ReviewCase).where(
        models.ReviewCase.decision_id == entry.decision_id)).scalars().first() if entry.decision_id else None
    what = (f"case #{other.id}'s {entry.kind}" if other else f"the {entry.kind}") + \
        f" of {format_amount(entry.amount, entry.currency or 'usd')} for this " + \
        ("payment" if entry.kind == CaseKind.REFUND else "period")
    who = (other.decided_by if other else None) or "the assistant"
    reference = f" (reference {entry.stripe_id})" if entry.stripe_id else ""
    done = {LedgerStatus.SUCCEEDED: f"was already paid by {who}{reference}",
            LedgerStatus.FAILED: f"was approved by {who} but could not be made ({entry.error})",
            LedgerStatus.REVERSED: f"was paid by {who}{reference} and sent back by the bank"}
    return f"{what} {done.get(entry.status, f'is already being paid, approved by {who}')}; nothing more is paid"


def _record_movement(session, case: models.ReviewCase, amount: int) -> str:
    key = _intended_key(case)
    try:
        if case.kind == CaseKind.REFUND:
            entry = ledger.record_refund(session, charge=case.decision.charge, amount=amount,
                                         rule=case.rule or "R2", decision_id=case.decision_id, key=key)
        else:
            entry = ledger.record_credit(session, customer=case.customer, amount=amount, currency=case.currency,
                                         decision_id=case.decision_id, key=key,
                                         description=f"Service credit, case #{case.id}")
    except ledger.KeyTaken as taken:
        raise CaseError(settled_by(session, taken.entry)) from None
    except ledger.MovementRefused as refused:
        raise CaseError(str(refused)) from None
    if entry.decision_id != case.decision_id:  # another case's movement won the race for the key
        raise CaseError(settled_by(session, entry))
    case.decision.executed = {**(case.decision.executed or {}), "ledger_key": entry.idempotency_key}
    return entry.idempotency_key


def _movement_key(session, case: models.ReviewCase) -> str | None:
    if case.decision is None:
        return None
    return (case.decision.executed or {}).get("ledger_key")


def _finish(engine, gateway, case_id: int, key: str | None, notifier, *, already: bool) -> dict:
    entry = None
    if key is not None:
        entry = ledger.execute(engine, gateway or StripeGateway.from_settings(), key)
    with unit_of_work(engine) as session:
        case = get_case(session, case_id)
        message = customer_message(case, entry)
        # What moved is the ledger's amount and Stripe's id for it, never the case's intent.
        amount = entry.amount if entry is not None else case.decided_amount
        result = {"case_id": case.id, "status": case.status, "amount": amount,
                  "movement": entry.status if entry else None,
                  "stripe_id": entry.stripe_id if entry else None,
                  "error": entry.error if entry else None, "message": message, "already": already}
        conversation = (case.channel, case.conversation_id)
        sender = agents.signature(session, case.decided_by)
    if not already and notifier is not None and conversation[1]:
        result["customer_told"] = _tell(engine, case_id, notifier, conversation, message, sender=sender)
    return result


def _tell(engine, case_id: int, notifier, conversation: tuple, message: str, *, resume: bool = False,
          sender: str = "support_agent") -> bool:
    """Tell the customer as `sender` (resuming the assistant first if asked); a failure is
    recorded on the case (the decision stands)."""
    try:
        if resume:
            notifier.resume(conversation[1])
        notifier.tell(channel=conversation[0], conversation_id=conversation[1], text=message,
                      **({"sender": "assistant", "notice": "left"} if resume else {"sender": sender}))
        return True
    except ConversationError as exc:
        with unit_of_work(engine) as session:
            record_event(session, get_case(session, case_id), now_utc(), "system",
                         "customer_not_told", {"error": str(exc)})
        return False


def customer_message(case: models.ReviewCase, entry: models.LedgerEntry | None) -> str:
    """What the customer hears about their case, in their currency and with the reason."""
    return messages.case_outcome(
        case_id=case.id, status=case.status, kind=case.kind,
        amount=entry.amount if entry is not None else case.decided_amount or 0,
        currency=(entry.currency if entry is not None else None) or case.currency or "usd",
        note=case.decision_note or "",
        movement_status=entry.status if entry is not None else None)


def get_case(session, case_id: int) -> models.ReviewCase:
    case = session.get(models.ReviewCase, case_id)
    if case is None:
        raise CaseError(f"no case #{case_id}")
    return case


def record_event(session, case: models.ReviewCase, now: datetime, agent: str, action: str, detail: dict) -> None:
    actor = agent if agent == "system" else f"agent:{agent}"
    session.add(models.CaseEvent(case_id=case.id, at=now, actor=actor, action=action, detail=detail))


def queue(session, *, status: tuple[str, ...] = DECIDABLE, kind: str | None = None,
          rule: str | None = None, channel: str | None = None, search: str = "") -> list[models.ReviewCase]:
    """Cases oldest first, filtered as the console's queue asks (in the caller's session)."""
    query = select(models.ReviewCase).where(models.ReviewCase.status.in_(status))
    for column, value in ((models.ReviewCase.kind, kind), (models.ReviewCase.rule, rule)):
        if value:
            query = query.where(column == value)
    if channel:
        # The help widget relays through the REST channel; its conversations say so.
        widget = select(models.Conversation.conversation_id).where(models.Conversation.widget.is_(True))
        in_widget = models.ReviewCase.conversation_id.in_(widget)
        elsewhere = models.ReviewCase.conversation_id.is_(None) | ~in_widget
        query = query.where(in_widget if channel == "widget" else (models.ReviewCase.channel == channel) & elsewhere)
    if search.strip():
        query = query.where(matching(search.strip()))
    return list(session.execute(query.order_by(models.ReviewCase.created_at, models.ReviewCase.id)).scalars())


def matching(search: str):
    """A case number ("#12" or "12"), else words in the customer's address or name, what
    they wrote, the decision's reason, or the case's history (agents' messages and notes)."""
    case = models.ReviewCase
    number = search.removeprefix("#")
    if number.isdigit():
        return case.id == int(number)
    like = f"%{search.lower()}%"
    customer = select(models.Customer.id).where(
        func.lower(models.Customer.email).like(like) | func.lower(models.Customer.name).like(like))
    history = select(models.CaseEvent.case_id).where(func.lower(cast(models.CaseEvent.detail, String)).like(like))
    return (case.customer_id.in_(customer) | func.lower(case.customer_note).like(like)
            | func.lower(case.decision_note).like(like) | case.id.in_(history))
