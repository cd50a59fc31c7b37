"""Everything an agent needs to decide a case, read in one unit of work, in people's
terms: money formatted, times to the minute (shown in the agent's zone), durations in days
and hours, the part of a period left as a percentage."""
from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app.case_decisions import allowed_amount, queue
from bot.core.money import format_amount
from bot.core.statuses import DECIDABLE, MONEY_CASES
from bot.core.timeutil import parse_utc
from bot.db import models
from bot.db.session import unit_of_work

RECENT = 6  # charges and refunds shown; older history is in the decision's facts
CHANNEL_NAMES = {"widget": "Help widget", "rest": "Web chat (API)", "socketio": "Web chat (socket.io)",
                 "email": "Email", "slack": "Slack"}
FACT_LABELS = {"remaining_fraction": "Part of the period left", "period_start": "Period started",
               "period_end": "Period ends", "charge_created": "Charged", "fee_percent": "Refund fee",
               "courtesy_already_used": "One-time late-cancellation refund already used",
               "outage_seconds": "Outage in this period", "period_seconds": "Length of the period",
               "longest_outage_seconds": "Longest outage", "ongoing_incidents": "Ongoing incidents",
               "trial_end": "Trial ends"}


def duration_text(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" if minutes else f"{seconds} s"


def fact_value(key: str, value) -> str | datetime:
    """A rule's fact as an agent reads it; a time stays a time, for the page to show in the
    agent's zone."""
    if key == "remaining_fraction":
        return f"{float(Fraction(value)) * 100:.1f} % of the period"
    if key.endswith("_seconds"):
        return duration_text(value)
    if key == "fee_percent":
        return f"{value} %"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    try:
        return parse_utc(value) if isinstance(value, str) and "T" in value else str(value)
    except ValueError:
        return str(value)


def conversation_rows(session, conversation_ids) -> dict[str, models.Conversation]:
    ids = [c for c in set(conversation_ids) if c]
    if not ids:
        return {}
    return {row.conversation_id: row for row in session.execute(
        select(models.Conversation).where(models.Conversation.conversation_id.in_(ids))).scalars()}


def channel_key(case: models.ReviewCase, conversation: models.Conversation | None) -> str:
    """The help widget is told apart from other REST callers by its own records."""
    return "widget" if conversation is not None and conversation.widget else case.channel or ""


def age_text(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def queue_rows(*, now: datetime, engine: Engine | None = None, **filters) -> list[dict]:
    with unit_of_work(engine) as session:
        cases = queue(session, **filters)
        chats = conversation_rows(session, (c.conversation_id for c in cases))
        return [{"id": c.id, "kind": c.kind, "rule": c.rule or "", "status": c.status,
                 "channel": channel_key(c, chats.get(c.conversation_id)), "age": age_text(c.created_at, now),
                 "overdue": c.due_at <= now and c.status in DECIDABLE,
                 "customer": c.customer.email if c.customer else "(not identified)",
                 "amount": format_amount(c.proposed_amount, c.currency) if c.kind in MONEY_CASES else "",
                 "claimed_by": c.claimed_by or "", "live_agent": c.live_agent or "",
                 "waiting_since": c.waiting_live_since if c.status in DECIDABLE and not c.live_agent else None,
                 "waiting": age_text(c.waiting_live_since, now) if c.waiting_live_since else "",
                 "replied": _replied(chats.get(c.conversation_id), c)} for c in cases]


def _replied(conversation: models.Conversation | None, case: models.ReviewCase) -> bool:
    """The customer wrote after the team last touched the case."""
    return bool(conversation and conversation.last_customer_at and case.status in DECIDABLE
                and conversation.last_customer_at > case.updated_at)


def case_evidence(case_id: int, *, engine: Engine | None = None) -> dict | None:
    with unit_of_work(engine) as session:
        case = session.get(models.ReviewCase, case_id)
        if case is None:
            return None
        customer, decision = case.customer, case.decision
        chat = conversation_rows(session, [case.conversation_id]).get(case.conversation_id)
        currency = case.currency or (customer.subscription.currency if customer and customer.subscription else "usd")
        money = lambda amount: format_amount(amount, currency)  # noqa: E731
        sub = customer.subscription if customer else None
        return {
            "case": {"id": case.id, "kind": case.kind, "status": case.status, "rule": case.rule,
                     "reason": case.reason, "channel": channel_key(case, chat), "conversation_id": case.conversation_id,
                     "waiting_since": case.waiting_live_since if not case.live_agent else None,
                     "created_at": case.created_at, "due_at": case.due_at, "claimed_by": case.claimed_by,
                     "decided_by": case.decided_by, "decision_note": case.decision_note,
                     "live_agent": case.live_agent,
                     "decided_amount": money(case.decided_amount) if case.decided_amount else None,
                     "customer_note": case.customer_note, "currency": currency,
                     "proposed": money(case.proposed_amount),
                     "proposed_minor": case.proposed_amount,  # the page writes it in the agent's locale
                     "allowed": money(allowed_amount(case)),
                     "has_money": case.kind in MONEY_CASES},
            "customer": {"email": customer.email, "name": customer.name,
                         "since": customer.created} if customer else None,
            "subscription": {"plan": sub.plan, "price": money(sub.price), "interval": sub.interval,
                             "status": sub.status, "period": (sub.current_period_start, sub.current_period_end),
                             "cancel_at_period_end": sub.cancel_at_period_end,
                             "canceled_at": sub.canceled_at} if sub else None,
            "charges": [{"id": c.external_id, "amount": money(c.amount), "refunded": money(c.refunded),
                         "created": c.created} for c in (customer.charges[-RECENT:] if customer else [])],
            "refunds": [{"charge": r.charge_ref, "amount": money(r.amount), "rule": r.rule or "",
                         "created": r.created, "stripe_id": r.stripe_id or ""}
                        for r in (customer.refunds[-RECENT:] if customer else [])],
            "incidents": [{"feature": i.feature, "start": i.start, "end": i.end}
                          for i in (customer.incidents if customer else [])],
            "decision": {"rule": decision.rule, "outcome": decision.outcome, "explanation": decision.explanation,
                         "base": money(decision.base), "fee": money(decision.fee),
                         "refund": money(decision.refund), "credit": money(decision.credit),
                         "facts": [(FACT_LABELS.get(k, k.replace("_", " ").capitalize()), fact_value(k, v))
                                   for k, v in decision.facts.items()],
                         "fee_percent": decision.policy.get("refund_fee_percent"),
                         "at": decision.now} if decision else None,
            "history": [{"at": e.at, "actor": e.actor.removeprefix("agent:"), "action": e.action,
                         "detail": e.detail} for e in case.events],
            "notes": [{"at": e.at, "by": e.actor.removeprefix("agent:"), "text": e.detail.get("note", "")}
                      for e in case.events if e.action == "note"],
        }
