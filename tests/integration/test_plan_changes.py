"""R7: plan options, a preview from Stripe, and a change that happens once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.offers import NoConsent
from bot.app.plan_changes import CannotChangePlan, QuoteUnconfirmed, change_plan, plan_options, preview_plan_change
from bot.core.plans import UnknownPlan, match_plan, options_for
from bot.core.statuses import OfferKind
from bot.db import models
from bot.db.session import unit_of_work
from bot.settings import load_plans
from tests.conftest import DEMO_NOW
from tests.support.consent import accepted_offer


def test_options_are_the_other_plans_in_the_customers_currency():
    catalogue = load_plans()
    assert [p.id for p in options_for("pro-monthly", "usd", catalogue)] == [
        "starter-monthly", "starter-yearly", "pro-yearly"]
    assert [p.id for p in options_for("pro-monthly-jpy", "jpy", catalogue)] == ["pro-yearly-jpy"]
    assert catalogue["pro-yearly"].display_name == "Pro yearly"


def test_plan_options_for_an_active_and_a_cancelled_customer(seeded_engine):
    dan = plan_options("dan@example.com", engine=seeded_engine)
    assert dan.current.id == "starter-monthly"
    assert [o.id for o in dan.options] == ["starter-yearly", "pro-monthly", "pro-yearly"]
    assert plan_options("jon@example.com", engine=seeded_engine).options == ()


def test_preview_then_change_once(live_engine, gateway):
    preview = preview_plan_change("dan@example.com", "pro-monthly", at=DEMO_NOW, gateway=gateway, engine=live_engine)
    # Dan's mirrored subscription is a Stripe trial until the period ends (see mirror/push),
    # so Stripe prorates nothing now and the next invoice is the new price.
    assert (preview.plan.id, preview.direction, preview.prorated) == ("pro-monthly", "none", 0)
    assert (preview.next_invoice, preview.from_plan) == (4900, "starter-monthly")
    with pytest.raises(NoConsent):  # no change without a yes to this change
        change_plan("dan@example.com", "pro-monthly", consent=None, gateway=gateway, engine=live_engine)
    yes = accepted_offer(live_engine, "dan@example.com", kind=OfferKind.PLAN_CHANGE, plan_id="pro-monthly",
                         from_plan=preview.from_plan)
    with pytest.raises(NoConsent):  # a yes to another plan is not a yes to this one
        change_plan("dan@example.com", "pro-yearly", consent=yes, gateway=gateway, engine=live_engine)
    first = change_plan("dan@example.com", "pro-monthly", consent=yes, gateway=gateway, engine=live_engine)
    assert first.status == "changed"
    with unit_of_work(live_engine) as session:
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "dan@example.com")).scalar_one()
        assert (sub.plan, sub.price, sub.interval) == ("pro-monthly", 4900, "month")
        stripe_sub = gateway.subscription(sub.stripe_id)
        assert stripe_sub["plan"] == "pro-monthly-4900-usd-month"
        rows = session.execute(select(models.LedgerEntry).where(
            models.LedgerEntry.kind == "plan_change")).scalars().all()
        assert [(r.status, r.params["plan_id"]) for r in rows] == [("succeeded", "pro-monthly")]
    # Already on it now: asking again changes nothing and says why.
    with pytest.raises(CannotChangePlan, match="already on the Pro monthly plan"):
        change_plan("dan@example.com", "pro-monthly", consent=yes, gateway=gateway, engine=live_engine)


def test_the_mirror_keeps_the_period_stripe_holds_after_a_change(live_engine, gateway):
    """Another interval is a new period: the mirror's dates are Stripe's, not the month's."""
    preview = preview_plan_change("dan@example.com", "starter-yearly", at=DEMO_NOW, gateway=gateway,
                                  engine=live_engine)
    yes = accepted_offer(live_engine, "dan@example.com", kind=OfferKind.PLAN_CHANGE, plan_id="starter-yearly",
                         from_plan=preview.from_plan)
    assert change_plan("dan@example.com", "starter-yearly", consent=yes, gateway=gateway,
                       engine=live_engine).status == "changed"
    with unit_of_work(live_engine) as session:
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "dan@example.com")).scalar_one()
        held = gateway.subscription(sub.stripe_id)
        assert (sub.interval, sub.current_period_start, sub.current_period_end) == \
            ("year", held["current_period_start"], held["current_period_end"])
        assert held["current_period_end"] - held["current_period_start"] >= timedelta(days=365)


def test_a_plan_in_another_currency_or_unknown_is_refused(live_engine, gateway):
    with pytest.raises(CannotChangePlan, match="billed in JPY"):
        preview_plan_change("dan@example.com", "pro-yearly-jpy", at=DEMO_NOW, gateway=gateway, engine=live_engine)
    with pytest.raises(UnknownPlan):
        preview_plan_change("dan@example.com", "platinum", at=DEMO_NOW, gateway=gateway, engine=live_engine)
    with pytest.raises(CannotChangePlan, match="no active subscription"):
        preview_plan_change("jon@example.com", "pro-monthly", at=DEMO_NOW, gateway=gateway, engine=live_engine)


class ProratingGateway:
    """Real Stripe's answer for a mid-period change of Ana's Pro monthly (20 of 30 days left):
    `lines` as Stripe would make them, the subscription as it holds it."""

    def __init__(self, *lines: tuple[int, bool]):
        self.lines = lines

    def ensure_plan(self, plan_id, *args, **kwargs):
        return plan_id

    def preview_plan_change(self, subscription_id, plan_id, *, proration_date):
        start = DEMO_NOW - timedelta(days=10)
        return {"amount_due": max(sum(amount for amount, _ in self.lines), 0), "currency": "usd",
                "lines": [{"amount": amount, "description": "", "proration": prorated}
                          for amount, prorated in self.lines],
                "subscription": {"status": "active", "current_period_start": start,
                                 "current_period_end": start + timedelta(days=30), "trial_end": None}}


def ana_on_stripe(engine) -> None:
    with unit_of_work(engine) as session:
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "ana@example.com")).scalar_one()
        sub.stripe_id = "sub_ana"
        sub.current_period_start, sub.current_period_end = DEMO_NOW - timedelta(days=10), DEMO_NOW + timedelta(days=20)


def test_a_prorated_credit_is_the_sum_of_the_proration_lines(seeded_engine):
    ana_on_stripe(seeded_engine)
    downgrade = ProratingGateway((-3267, True), (1267, True), (1900, False))  # unused Pro, rest on Starter, next
    preview = preview_plan_change("ana@example.com", "starter-monthly", at=DEMO_NOW, gateway=downgrade,
                                  engine=seeded_engine)
    assert (preview.direction, preview.prorated, preview.next_invoice) == ("credit", -2000, 0)


def test_another_interval_is_a_new_period_billed_at_once(seeded_engine):
    ana_on_stripe(seeded_engine)
    yearly = ProratingGateway((-3267, True), (49000, False))  # the unused month, then the new year
    preview = preview_plan_change("ana@example.com", "pro-yearly", at=DEMO_NOW, gateway=yearly, engine=seeded_engine)
    assert (preview.direction, preview.prorated, preview.next_invoice, preview.left_as_credit) == \
        ("new_period", -3267, 45733, 0)


def test_a_preview_that_credits_the_whole_invoice_is_not_quoted(seeded_engine):
    """localstripe's arithmetic: the whole last invoice back, not the unused part of it."""
    ana_on_stripe(seeded_engine)
    whole_invoice = ProratingGateway((-4900, True), (1900, False))
    with pytest.raises(QuoteUnconfirmed, match="prorates -4900 .* documented proration is -2000"):
        preview_plan_change("ana@example.com", "starter-monthly", at=DEMO_NOW, gateway=whole_invoice,
                            engine=seeded_engine)


@pytest.mark.parametrize("text, current, expected", [
    ("switch me to pro yearly", "pro-monthly", "pro-yearly"),
    ("can I go annual?", "pro-monthly", "pro-yearly"),  # the tier they left out stays
    ("downgrade to starter monthly please", "pro-monthly", "starter-monthly"),
    ("starter", "pro-monthly", "starter-monthly"),  # the interval they left out stays
    ("pro", "starter-monthly", "pro-monthly"),
    ("I want to change my plan", "pro-monthly", None),  # nothing chosen yet: offer the list
    ("pro monthly", "pro-monthly", None),  # what they already have
    ("starter or pro, monthly or yearly?", "pro-monthly", None),
])
def test_plan_named_in_the_customers_words(text, current, expected):
    catalogue = load_plans()
    found = match_plan(text, catalogue[current], options_for(current, "usd", catalogue))
    assert (found.id if found else None) == expected
