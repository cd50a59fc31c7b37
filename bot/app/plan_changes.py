"""R7, changing plans: preview the prorated amount from Stripe, then change once, on a yes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import offers
from bot.app.dependencies import current
from bot.app.results import Direction, PlanChangeResult, PlanChangeStatus, PlanOptions, PlanQuote
from bot.billing import ledger
from bot.core import plan_quotes
from bot.core.domain import Subscription
from bot.core.plans import Plan, UnknownPlan, display_name, options_for, stripe_plan_id
from bot.core.statuses import LedgerStatus, MovementKind, OfferKind
from bot.db import models, repository
from bot.db.session import unit_of_work
from bot.settings import load_plans

CHANGEABLE = ("active", "trialing", "past_due")


class CannotChangePlan(ValueError):
    """The account cannot move to that plan (no live subscription, other currency, ...)."""


class QuoteUnconfirmed(RuntimeError):
    """Stripe's preview of the change is not what its documented proration gives: no figure
    is quoted, and a person checks it (`why` is for them)."""

    def __init__(self, plan: Plan, why: str):
        super().__init__(why)
        self.plan, self.why = plan, why


def plan_options(email: str, *, engine: Engine | None = None) -> PlanOptions:
    """The customer's current plan (its catalogue entry, if it has one; its name and price
    in any case) and the plans they may move to."""
    with unit_of_work(engine) as session:
        sub = repository.find_customer(session, email).subscription
        if sub is None or sub.status not in CHANGEABLE:
            return PlanOptions(options=())
        catalogue = load_plans()
        return PlanOptions(options=tuple(options_for(sub.plan, sub.currency, catalogue)),
                           current=catalogue.get(sub.plan), current_name=display_name(sub.plan, catalogue),
                           current_price=(sub.price, sub.currency, sub.interval), current_id=sub.plan,
                           in_trial=sub.status == "trialing")


def _target(sub, plan_id: str) -> Plan:
    if sub is None or sub.status not in CHANGEABLE:
        raise CannotChangePlan("there is no active subscription to change")
    if sub.stripe_id is None:
        raise CannotChangePlan("the subscription is not known to the payment processor")
    plan = load_plans().get(plan_id)
    if plan is None:
        raise UnknownPlan(f"unknown plan {plan_id!r}")
    if plan.id == sub.plan:
        raise CannotChangePlan(f"you are already on the {plan.display_name} plan")
    if plan.currency != sub.currency:
        raise CannotChangePlan(f"the {plan.display_name} plan is billed in {plan.currency.upper()}, "
                               f"your subscription in {sub.currency.upper()}")
    return plan


def _ensure_stripe_plan(gateway, plan: Plan) -> str:
    return gateway.ensure_plan(stripe_plan_id(plan.id, plan.price, plan.currency, plan.interval),
                               plan.price, plan.currency, plan.interval,
                               product_name=f"{current().policy().brand} {plan.id}")


def preview_plan_change(email: str, plan_id: str, *, at: datetime, gateway=None,
                        engine: Engine | None = None) -> PlanQuote:
    """What Stripe says the change costs if made at `at` (the moment the customer is quoted,
    which their offer keeps), once it agrees with Stripe's documented proration for the
    subscription as Stripe holds it (`QuoteUnconfirmed` if not: a person checks it). Within a
    period, the prorated charge (positive) or credit (negative) goes on the next invoice;
    another interval starts a new period at once and `next_invoice` is charged now."""
    at = at.replace(microsecond=0)  # Stripe prorates at a whole second
    with unit_of_work(engine) as session:
        sub = repository.find_customer(session, email).subscription
        plan = _target(sub, plan_id)
        stripe_subscription, current_plan = sub.stripe_id, sub.plan
        price, currency, interval = sub.price, sub.currency, sub.interval
    gateway = gateway or current().gateway()
    preview = gateway.preview_plan_change(stripe_subscription, _ensure_stripe_plan(gateway, plan), proration_date=at)
    held = preview["subscription"]
    as_stripe_holds_it = Subscription(
        plan=current_plan, price=price, currency=currency, interval=interval, status=held["status"],
        current_period_start=held["current_period_start"], current_period_end=held["current_period_end"],
        trial_end=held.get("trial_end"))
    proration_lines = [line["amount"] for line in preview["lines"] if line.get("proration")]
    prorated = sum(proration_lines)
    why = plan_quotes.disagreement(as_stripe_holds_it, plan, at, plan_quotes.Preview(
        prorated=prorated, proration_lines=len(proration_lines)))
    if why is not None:
        raise QuoteUnconfirmed(plan, why)
    if plan_quotes.starts_new_period(as_stripe_holds_it, plan, at):
        direction = Direction.NEW_PERIOD
    else:
        direction = Direction.CHARGE if prorated > 0 else Direction.CREDIT if prorated < 0 else Direction.NONE
    # An invoice below zero is paid nothing; Stripe keeps the rest as the customer's credit.
    left_as_credit = max(-sum(line["amount"] for line in preview["lines"]), 0)
    return PlanQuote(plan=plan, from_plan=current_plan, prorated=prorated, next_invoice=max(preview["amount_due"], 0),
                     currency=plan.currency, direction=direction, left_as_credit=left_as_credit)


def change_plan(email: str, plan_id: str, *, consent: str | None, gateway=None,
                engine: Engine | None = None) -> PlanChangeResult:
    """Move the subscription to `plan_id` through the ledger, on the customer's accepted offer
    `consent`, exactly as quoted: prorated at the moment of the quote (the offer's `made_at`),
    and only while the subscription is still the one quoted (status "outdated" otherwise, and
    nothing moves). The movement is keyed by that offer, so a retry changes once and a later
    change back and forth is a change of its own."""
    engine = engine or current().engine()
    gateway = gateway or current().gateway()
    with unit_of_work(engine) as session:
        customer = repository.find_customer(session, email)
        offers.require_accepted(session, consent, kind=OfferKind.PLAN_CHANGE, customer=customer, plan_id=plan_id)
        plan = _target(customer.subscription, plan_id)
    stripe_plan = _ensure_stripe_plan(gateway, plan)
    with unit_of_work(engine) as session:
        offer = offers.require_accepted(session, consent, kind=OfferKind.PLAN_CHANGE, customer=customer,
                                        plan_id=plan_id)
        # Locked: of two conversations' yeses at once, the second sees the first's change below.
        sub = session.execute(select(models.Subscription).where(models.Subscription.customer_id == customer.id)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one()
        key = f"plan-{sub.id}-{sub.plan}-to-{plan.id}-{consent}"
        if _changed_since_quoted(session, offer, sub, key):
            return PlanChangeResult(PlanChangeStatus.OUTDATED, plan)
        ledger.record_plan_change(session, customer_id=customer.id, key=key, params={
            "stripe_subscription": sub.stripe_id, "stripe_plan": stripe_plan, "subscription_id": sub.id,
            "plan_id": plan.id, "price": plan.price, "currency": plan.currency, "interval": plan.interval,
            "proration_date": offer.made_at.isoformat()})
    entry = ledger.execute(engine, gateway, key)
    status = {LedgerStatus.SUCCEEDED: PlanChangeStatus.CHANGED,
              LedgerStatus.FAILED: PlanChangeStatus.NOT_ALLOWED}.get(entry.status, PlanChangeStatus.PENDING)
    return PlanChangeResult(status, plan, entry.error)


def _changed_since_quoted(session, offer: models.Offer, sub: models.Subscription, key: str) -> bool:
    """Whether the subscription is no longer the one the offer quoted: on another plan or in
    another period, or changed or cancelled (in any conversation) since the quote."""
    if sub.plan != offer.from_plan or not sub.current_period_start <= offer.made_at < sub.current_period_end:
        return True
    since = select(models.LedgerEntry.id).where(
        models.LedgerEntry.customer_id == sub.customer_id,
        models.LedgerEntry.kind.in_((MovementKind.PLAN_CHANGE, MovementKind.CANCEL)),
        models.LedgerEntry.status != LedgerStatus.FAILED, models.LedgerEntry.created_at > offer.made_at,
        models.LedgerEntry.idempotency_key != key)
    return session.execute(since.limit(1)).first() is not None
