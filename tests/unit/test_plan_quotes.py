"""A plan change's quote is checked against Stripe's documented proration before a customer
hears it (bot/core/plan_quotes.py): pure arithmetic on the subscription as Stripe holds it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.core.domain import Subscription
from bot.core.plan_quotes import Preview, disagreement, in_trial, proration, starts_new_period
from bot.core.plans import parse_plans

AT = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
PLANS = parse_plans({"plans": {
    "starter-monthly": {"name": "Starter", "tier": 1, "price": 1900, "currency": "usd", "interval": "month"},
    "pro-monthly": {"name": "Pro", "tier": 2, "price": 4900, "currency": "usd", "interval": "month"},
    "pro-yearly": {"name": "Pro", "tier": 2, "price": 49000, "currency": "usd", "interval": "year"}}})


def held(status="active", plan="starter-monthly", days_left=20, trial_end=None) -> Subscription:
    """A 30-day period with `days_left` of it to run at AT."""
    catalogue = PLANS[plan]
    start = AT - timedelta(days=30 - days_left)
    return Subscription(plan=plan, price=catalogue.price, currency="usd", interval=catalogue.interval,
                        status=status, current_period_start=start, current_period_end=start + timedelta(days=30),
                        trial_end=trial_end)


@pytest.mark.parametrize("sub, trial", [
    (held("trialing"), True),
    (held("incomplete", trial_end=AT + timedelta(days=5)), True),    # localstripe's name for a trial
    (held("incomplete", trial_end=AT - timedelta(days=1)), False),   # the trial is over
    (held("incomplete"), False),                                     # Stripe's first payment pending
    (held("active", trial_end=AT + timedelta(days=5)), False),       # localstripe's, after a change
    (held("past_due"), False),
])
def test_what_counts_as_a_trial(sub, trial):
    assert in_trial(sub, AT) is trial


@pytest.mark.parametrize("sub, target, expected", [
    (held(), "pro-monthly", (1267, 2000)),          # 2/3 of a month left: 2/3 of the 30.00 difference
    (held(plan="pro-monthly"), "starter-monthly", (3267, -2000)),
    (held(), "pro-yearly", (1267, 49000 - 1267)),    # a new period, less what is unused
    (held("trialing"), "pro-monthly", (0, 0)),       # a trial has paid for nothing
    (held("trialing"), "pro-yearly", (0, 49000)),
    (held(days_left=0), "pro-monthly", (0, 0)),
])
def test_proration_by_the_documented_rules(sub, target, expected):
    assert proration(sub, PLANS[target], AT) == expected


@pytest.mark.parametrize("sub, target, new_period", [
    (held(), "pro-yearly", True),
    (held(), "pro-monthly", False),
    (held("trialing"), "pro-yearly", False),  # in a trial the new price waits for the trial's end
    (held("incomplete", trial_end=AT + timedelta(days=5)), "pro-yearly", False),
])
def test_another_interval_starts_a_new_period_unless_in_a_trial(sub, target, new_period):
    assert starts_new_period(sub, PLANS[target], AT) is new_period


@pytest.mark.parametrize("sub, target, preview, agrees", [
    # Stripe's two proration lines, each rounded on its own: a minor unit either way is the same quote.
    (held(), "pro-monthly", Preview(prorated=2000, proration_lines=2), True),
    (held(), "pro-monthly", Preview(prorated=2001, proration_lines=2), True),
    (held(), "pro-monthly", Preview(prorated=2003, proration_lines=2), False),
    # localstripe credits the whole previous invoice, not the unused part of it.
    (held(), "pro-monthly", Preview(prorated=-1900, proration_lines=1), False),
    (held(), "pro-yearly", Preview(prorated=-1267, proration_lines=1), True),
    (held(), "pro-yearly", Preview(prorated=-1900, proration_lines=1), False),
    (held(), "pro-yearly", Preview(prorated=0, proration_lines=0), False),
    # In a trial nothing is prorated, whichever interval.
    (held("trialing"), "pro-yearly", Preview(prorated=0, proration_lines=0), True),
    (held("trialing"), "pro-monthly", Preview(prorated=-1900, proration_lines=1), False),
])
def test_a_preview_agrees_only_with_the_documented_proration(sub, target, preview, agrees):
    why = disagreement(sub, PLANS[target], AT, preview)
    assert (why is None) is agrees
    if why is not None:  # what a person checking it needs: both figures and the moment
        assert str(preview.prorated) in why and "pro-" in why and AT.isoformat() in why
