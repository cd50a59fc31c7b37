"""Everything an agent needs to decide a case, read in one unit of work."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.app.case_decisions import allowed_amount, queue
from bot.core.money import format_amount
from bot.core.statuses import DECIDABLE, MONEY_CASES
from bot.db import models
from bot.db.session import unit_of_work

RECENT = 6  # charges and refunds shown; older history is in the decision's facts


def age_text(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def queue_rows(*, now: datetime, engine: Engine | None = None, **filters) -> list[dict]:
    with unit_of_work(engine) as session:
        return [{"id": c.id, "kind": c.kind, "rule": c.rule or "", "status": c.status,
                 "channel": c.channel or "", "age": age_text(c.created_at, now),
                 "overdue": c.due_at <= now and c.status in DECIDABLE,
                 "customer": c.customer.email if c.customer else "(not identified)",
                 "amount": format_amount(c.proposed_amount, c.currency) if c.currency else "",
                 "claimed_by": c.claimed_by or ""} for c in queue(session, **filters)]


def case_evidence(case_id: int, *, engine: Engine | None = None) -> dict | None:
    with unit_of_work(engine) as session:
        case = session.get(models.ReviewCase, case_id)
        if case is None:
            return None
        customer, decision = case.customer, case.decision
        currency = case.currency or (customer.subscription.currency if customer and customer.subscription else "usd")
        money = lambda amount: format_amount(amount, currency)  # noqa: E731
        sub = customer.subscription if customer else None
        return {
            "case": {"id": case.id, "kind": case.kind, "status": case.status, "rule": case.rule,
                     "reason": case.reason, "channel": case.channel, "conversation_id": case.conversation_id,
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
                         "facts": decision.facts, "fee_percent": decision.policy.get("refund_fee_percent"),
                         "at": decision.now} if decision else None,
            "history": [{"at": e.at, "actor": e.actor, "action": e.action, "detail": e.detail}
                        for e in case.events],
        }
