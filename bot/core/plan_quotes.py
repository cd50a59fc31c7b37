"""What a plan change costs by Stripe's documented proration, and whether a preview Stripe
gave agrees with it: pure arithmetic on the subscription as Stripe holds it and the moment
the customer is quoted.

Stripe's rules (docs "Change subscriptions"): in a trial nothing is prorated and the new
price is billed when the trial ends; the same interval prorates the price difference over
the rest of the period onto the next invoice; another interval starts a new period at once
and invoices it straight away, less the unused part of the current period."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from bot.core.domain import Subscription
from bot.core.money import remaining_fraction, round_half_up
from bot.core.plans import Plan


def in_trial(sub: Subscription, at: datetime) -> bool:
    """Stripe bills nothing before a trial ends. localstripe calls a trial "incomplete"; a
    subscription that is active (localstripe's, once changed) is billed whatever its trial end."""
    return sub.status == "trialing" or (
        sub.status == "incomplete" and sub.trial_end is not None and sub.trial_end > at)


def starts_new_period(sub: Subscription, target: Plan, at: datetime) -> bool:
    """Whether the switch is invoiced at once, for a new period starting then."""
    return target.interval != sub.interval and not in_trial(sub, at)


def proration(sub: Subscription, target: Plan, at: datetime) -> tuple[int, int]:
    """(unused part of the current period, what the switch would charge: negative = credit).
    Same interval: the price difference for the rest of the period; another interval starts a new
    period at once, against which the unused part is credited."""
    # A trial has paid for nothing yet: nothing unused, nothing to prorate.
    left = remaining_fraction(sub.current_period_start, sub.current_period_end, at) \
        if not in_trial(sub, at) else Fraction(0)
    unused = round_half_up(sub.price * left)
    if target.interval == sub.interval:
        return unused, round_half_up((target.price - sub.price) * left)
    return unused, target.price - unused


@dataclass(frozen=True)
class Preview:
    """The proration lines of Stripe's preview invoice: what the check reads."""
    prorated: int          # their sum: positive charges, negative credits
    proration_lines: int   # how many, each rounded on its own


def disagreement(sub: Subscription, target: Plan, at: datetime, preview: Preview) -> str | None:
    """None when the preview prorates as Stripe's documented rules do for this change at `at`;
    otherwise what differs, for the person who checks it. Each proration line is rounded on its
    own, so the sum may differ from the exact arithmetic by a minor unit per line."""
    unused, charge = proration(sub, target, at)
    if in_trial(sub, at):
        expected = 0  # no proration lines: the new price is simply billed when the trial ends
    elif starts_new_period(sub, target, at):
        expected = -unused  # the credit line; the new period is a line of its own, not prorated
    else:
        expected = charge
    if abs(preview.prorated - expected) <= max(preview.proration_lines, 1):
        return None
    return (f"Stripe's preview prorates {preview.prorated} (minor units, {target.currency.upper()}) for the switch "
            f"from {sub.plan} to {target.id} at {at.isoformat()}; the documented proration is {expected} "
            f"(unused part of the current period {unused}).")
