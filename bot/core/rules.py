"""Refund and credit rules R0-R8 (docs/refund-rules.md) as pure functions.

`decide` reads only its arguments: the account snapshot, the stated reason, `now`
and the policy. It never touches a clock, a database or Stripe, so every decision
can be replayed from its record.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from bot.core import explanations
from bot.core.domain import Account, Charge, Decision, Incident, Outcome, Reason, Subscription
from bot.core.money import fee, microseconds, remaining_fraction, round_half_up
from bot.core.policy import Policy

INTERVALS = {"month": relativedelta(months=1), "year": relativedelta(years=1)}


def decide(account: Account, reason: Reason, now: datetime, policy: Policy) -> Decision:
    sub = account.subscription
    latest = latest_charge(account.charges, now)
    if latest is None or is_settled(latest, account):
        return _nothing_to_refund(account, reason, now, latest)
    if within_late_window(latest, now, policy) and latest.refunded == 0 and not used_courtesy(account):
        return _late_cancellation_courtesy(latest, sub, reason, now, policy)
    if reason in (Reason.LATE_CANCELLATION, Reason.UNSPECIFIED):
        return _prorated_review_or_no_refund(account, latest, sub, reason, now, policy)
    if reason is Reason.UNUSED_ACCOUNT:
        return _no_refund("R3", latest, sub, reason, now, explanations.explain_unused(policy.late_cancel_window_hours))
    if reason is Reason.FORGOT_SUBSCRIPTION:
        return _no_refund("R4", latest, sub, reason, now,
                          explanations.explain_forgotten(policy.late_cancel_window_hours))
    if reason is Reason.TECHNICAL_PROBLEM:
        return _technical_problem(account, latest, sub, reason, now, policy)
    raise ValueError(f"unknown reason {reason!r}")


# --- facts ---------------------------------------------------------------------------

def latest_charge(charges: tuple[Charge, ...], now: datetime) -> Charge | None:
    """The newest successful charge made no later than `now` (later ones did not exist yet)."""
    past = [c for c in charges if c.created <= now]
    return max(past, key=lambda c: (c.created, c.id), default=None)


def is_settled(charge: Charge, account: Account) -> bool:
    """Refunded in full, or already refunded once under a rule (the fee is kept, by design)."""
    return charge.refundable == 0 or any(r.charge_id == charge.id for r in account.refunds)


def within_late_window(charge: Charge, now: datetime, policy: Policy) -> bool:
    return now - charge.created <= timedelta(hours=policy.late_cancel_window_hours)


def used_courtesy(account: Account) -> bool:
    return any(r.rule == "R1" for r in account.refunds)


def paid_period(charge: Charge, sub: Subscription | None) -> tuple[datetime, datetime]:
    """The billing period a charge paid for.

    The subscription's current period when the charge falls inside it; otherwise one
    billing interval from the charge (monthly when the interval is unknown).
    """
    if sub and sub.current_period_start <= charge.created < sub.current_period_end:
        return sub.current_period_start, sub.current_period_end
    step = INTERVALS.get(sub.interval if sub else "month", INTERVALS["month"])
    return charge.created, charge.created + step


def outage_in_period(incidents: tuple[Incident, ...], start: datetime, end: datetime,
                     now: datetime) -> tuple[timedelta, timedelta]:
    """(longest single incident, union of all incidents) inside [start, min(end, now)).

    An ongoing incident counts up to `now`; overlapping incidents are not counted twice.
    """
    stop = min(end, now)
    spans = []
    for incident in incidents:
        lo = max(incident.start, start)
        hi = min(incident.end or now, stop)
        if hi > lo:
            spans.append((lo, hi))
    longest = max((hi - lo for lo, hi in spans), default=timedelta(0))
    union, cursor = timedelta(0), None
    for lo, hi in sorted(spans):
        if cursor is not None and lo < cursor:
            lo = cursor
        if hi > lo:
            union += hi - lo
        cursor = max(cursor or hi, hi)
    return longest, union


# --- outcomes ------------------------------------------------------------------------

def _base_decision(rule, outcome, reason, now, charge, currency, explanation, *,
                   base=0, fee_amount=0, refund=0, credit=0, requires_cancellation=False,
                   **facts) -> Decision:
    return Decision(
        rule=rule, outcome=outcome, reason=reason, now=now,
        charge_id=charge.id if charge else None,
        base=base, fee=fee_amount, refund=refund, credit=credit,
        currency=currency, requires_cancellation=requires_cancellation,
        explanation=explanation, facts={k: v for k, v in facts.items() if v is not None},
    )


def _nothing_to_refund(account, reason, now, latest) -> Decision:
    sub = account.subscription
    currency = (latest.currency if latest else sub.currency if sub else "usd")
    if latest is None and sub and sub.status == "trialing" and sub.trial_end:
        text = explanations.explain_trial(sub.trial_end)
    elif latest is None:
        text = explanations.NO_PAYMENT
    else:
        text = explanations.explain_already_refunded(latest.id, latest.amount, latest.currency)
    return _base_decision("R0", Outcome.NOTHING_TO_REFUND, reason, now, latest, currency, text,
                          requires_cancellation=False,
                          trial_end=sub.trial_end.isoformat() if sub and sub.trial_end else None)


def _late_cancellation_courtesy(charge, sub, reason, now, policy) -> Decision:
    base = charge.amount
    fee_amount = fee(base, policy.refund_fee_percent)
    refund = base - fee_amount
    text = explanations.explain_courtesy(charge.id, base, fee_amount, refund, charge.currency,
                                     policy.late_cancel_window_hours)
    return _base_decision(
        "R1", Outcome.AUTO_REFUND, reason, now, charge, charge.currency, text,
        base=base, fee_amount=fee_amount, refund=refund,
        requires_cancellation=bool(sub and sub.renews),
        charge_created=charge.created.isoformat(),
        fee_percent=str(policy.refund_fee_percent),
    )


def _prorated_review_or_no_refund(account, charge, sub, reason, now, policy) -> Decision:
    start, end = paid_period(charge, sub)
    if not start <= now < end:
        return _no_refund("R8", charge, sub, reason, now, explanations.explain_period_over())
    fraction = remaining_fraction(start, end, now)
    base = min(round_half_up(charge.amount * fraction), charge.refundable)
    fee_amount = fee(base, policy.refund_fee_percent)
    refund = base - fee_amount
    if refund <= 0:
        return _no_refund("R8", charge, sub, reason, now, explanations.NOTHING_LEFT_TO_PRORATE)
    courtesy = used_courtesy(account)
    text = explanations.explain_prorated(charge.id, base, fee_amount, refund, charge.currency, courtesy)
    return _base_decision(
        "R2", Outcome.REVIEW_REFUND, reason, now, charge, charge.currency, text,
        base=base, fee_amount=fee_amount, refund=refund,
        requires_cancellation=bool(sub and sub.renews),
        period_start=start.isoformat(), period_end=end.isoformat(),
        remaining_fraction=f"{fraction.numerator}/{fraction.denominator}",
        courtesy_already_used=courtesy, fee_percent=str(policy.refund_fee_percent),
    )


def _technical_problem(account, charge, sub, reason, now, policy) -> Decision:
    if sub is None:
        return _ticket(account, charge, sub, reason, now, policy, timedelta(0))
    start, end = sub.current_period_start, sub.current_period_end
    longest, union = outage_in_period(account.incidents, start, end, now)
    if longest < timedelta(hours=policy.extended_outage_hours):
        return _ticket(account, charge, sub, reason, now, policy, longest)
    period = microseconds(end - start)
    credit = round_half_up(Fraction(sub.price * microseconds(union), period)) if period else 0
    credit = min(credit, sub.price)
    text = explanations.explain_outage_credit(microseconds(union) // 1_000_000, credit, sub.currency)
    ongoing = _ongoing(account, now)
    return _base_decision(
        "R5", Outcome.REVIEW_CREDIT, reason, now, None, sub.currency, text,
        credit=credit, period_start=start.isoformat(), period_end=end.isoformat(),
        outage_seconds=microseconds(union) // 1_000_000,
        period_seconds=period // 1_000_000,
        ongoing_incidents=ongoing or None, outage_over=not ongoing or None,  # what the customer is told of it
    )


def _ongoing(account, now) -> list[str]:
    """The features of the incidents still open at `now`."""
    return [i.feature for i in account.incidents if i.start <= now and (i.end is None or i.end > now)]


def _ticket(account, charge, sub, reason, now, policy, longest) -> Decision:
    ongoing = _ongoing(account, now)
    text = explanations.explain_ticket(ongoing)
    return _base_decision(
        "R6", Outcome.TICKET, reason, now, charge, charge.currency if charge else "usd", text,
        ongoing_incidents=ongoing or None,
        longest_outage_seconds=int(longest.total_seconds()) or None,
    )


def _no_refund(rule, charge, sub, reason, now, text) -> Decision:
    return _base_decision(rule, Outcome.NO_REFUND, reason, now, charge, charge.currency, text,
                          period_end=sub.current_period_end.isoformat() if sub else None)
