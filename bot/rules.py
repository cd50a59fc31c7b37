"""Refund and credit rules R0-R8 (shared policy/refund-rules.md) as pure functions.

`decide` reads only its arguments: the account snapshot, the stated reason, `now`
and the policy. It never touches a clock, a database or Stripe, so every decision
can be replayed from its record.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from bot.domain import Account, Charge, Decision, Incident, Outcome, Reason, Subscription
from bot.money import fee, format_amount, microseconds, remaining_fraction, round_half_up
from bot.policy import Policy

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
        return _no_refund(
            "R3", latest, sub, reason, now,
            "Customers pay for access, not usage, so an unused account is not refunded "
            "outside the {window} h window; the subscription can be cancelled at period end.",
            policy,
        )
    if reason is Reason.FORGOT_SUBSCRIPTION:
        return _no_refund(
            "R4", latest, sub, reason, now,
            "Monitoring the subscription is the account owner's responsibility, so a "
            "forgotten subscription is not refunded outside the {window} h window; it can "
            "be cancelled at period end.",
            policy,
        )
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

def _money(amount: int, currency: str) -> str:
    return format_amount(amount, currency)


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
        text = (f"The account is still in its free trial until {sub.trial_end:%Y-%m-%d %H:%M} UTC "
                "and has never been charged; cancelling before then means it is never charged.")
    elif latest is None:
        text = "There is no payment on this account, so there is nothing to refund."
    else:
        text = (f"The latest payment {latest.id} of {_money(latest.amount, latest.currency)} "
                "has already been refunded, so there is nothing left to refund.")
    return _base_decision("R0", Outcome.NOTHING_TO_REFUND, reason, now, latest, currency, text,
                          requires_cancellation=False,
                          trial_end=sub.trial_end.isoformat() if sub and sub.trial_end else None)


def _late_cancellation_courtesy(charge, sub, reason, now, policy) -> Decision:
    base = charge.amount
    fee_amount = fee(base, policy.refund_fee_percent)
    refund = base - fee_amount
    text = (f"Payment {charge.id} of {_money(base, charge.currency)} was made within "
            f"{policy.late_cancel_window_hours} hours, so it qualifies for the one-time "
            f"late-cancellation refund of {_money(refund, charge.currency)} "
            f"({_money(fee_amount, charge.currency)} processing fee kept), and the "
            "subscription ends now.")
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
        return _no_refund(
            "R8", charge, sub, reason, now,
            "The period paid for has ended and fees are non-refundable (terms section 4), "
            "so there is no refund; a person can look at it if you disagree.",
            policy,
        )
    fraction = remaining_fraction(start, end, now)
    base = min(round_half_up(charge.amount * fraction), charge.refundable)
    fee_amount = fee(base, policy.refund_fee_percent)
    refund = base - fee_amount
    if refund <= 0:
        return _no_refund(
            "R8", charge, sub, reason, now,
            "Nothing of the paid period is left to prorate, so there is no refund.",
            policy,
        )
    courtesy = used_courtesy(account)
    text = (f"A prorated refund of {_money(refund, charge.currency)} for payment {charge.id} "
            f"({_money(base, charge.currency)} unused less a {_money(fee_amount, charge.currency)} "
            "fee) is at the company's discretion, so a support agent will decide"
            + (" (the one-time late-cancellation refund was already used)." if courtesy else "."))
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
    hours = microseconds(union) // 3_600_000_000
    text = (f"A platform incident affected this account for about {hours} hours in the "
            f"current period, so a credit of {_money(credit, sub.currency)} towards the next "
            "invoice is proposed; a support agent will decide.")
    return _base_decision(
        "R5", Outcome.REVIEW_CREDIT, reason, now, None, sub.currency, text,
        credit=credit, period_start=start.isoformat(), period_end=end.isoformat(),
        outage_seconds=microseconds(union) // 1_000_000,
        period_seconds=period // 1_000_000,
    )


def _ticket(account, charge, sub, reason, now, policy, longest) -> Decision:
    ongoing = [i.feature for i in account.incidents if i.start <= now and (i.end is None or i.end > now)]
    known = f" A known issue with {', '.join(ongoing)} is being worked on." if ongoing else ""
    text = ("Problems that are not caused by a lasting platform outage are not refunded; "
            "we will help troubleshoot and open a ticket for the technical team." + known)
    return _base_decision(
        "R6", Outcome.TICKET, reason, now, charge, charge.currency if charge else "usd", text,
        ongoing_incidents=ongoing or None,
        longest_outage_seconds=int(longest.total_seconds()) or None,
    )


def _no_refund(rule, charge, sub, reason, now, template, policy) -> Decision:
    text = template.format(window=policy.late_cancel_window_hours)
    return _base_decision(rule, Outcome.NO_REFUND, reason, now, charge, charge.currency, text,
                          period_end=sub.current_period_end.isoformat() if sub else None)
