"""Create in Stripe what the mirror holds but Stripe does not yet (after `bot seed`).

Resumable: every Stripe id is stored as soon as it exists, each customer in its own
transaction, and the gateway finds objects it created before by their idempotency
key, so an interrupted run picks up where it stopped.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.clock import now_utc
from bot.core.plans import stripe_plan_id
from bot.db import models
from bot.db.session import unit_of_work
from bot.settings import load_policy

Progress = Callable[[int, int, str], None]


def _pending_customer_ids(engine: Engine) -> list[int]:
    with unit_of_work(engine) as session:
        rows = session.execute(select(models.Customer).order_by(models.Customer.id)).scalars()
        return [c.id for c in rows if c.stripe_id is None
                or (c.subscription and c.subscription.stripe_id is None and c.subscription.status != "canceled")
                or any(ch.stripe_id is None for ch in c.charges)]


def push_to_stripe(engine: Engine, gateway, progress: Progress | None = None) -> int:
    ids = _pending_customer_ids(engine)
    created = 0
    for done, customer_id in enumerate(ids, start=1):
        with unit_of_work(engine) as session:
            customer = session.get(models.Customer, customer_id)
            created += _push_customer(gateway, customer)
            label = customer.email
        if progress:
            progress(done, len(ids), label)
    return created


def _push_customer(gateway, customer: models.Customer) -> int:
    # Keys name the Stripe objects they act on, not local row ids or seed names: Stripe keeps
    # a key for 24 hours per account, and a fresh database seeded into the same account
    # must not reuse one for another object (an IdempotencyError on real Stripe).
    created = 0
    if customer.stripe_id is None:
        customer.stripe_id = gateway.ensure_customer(
            customer.email, customer.name, metadata={"mirror_id": str(customer.id)})
        created += 1
    sub = customer.subscription
    # Canceled subscriptions need no Stripe object: nothing will ever be done to them.
    if sub is not None and sub.stripe_id is None and sub.status != "canceled":
        plan_id = gateway.ensure_plan(
            stripe_plan_id(sub.plan, sub.price, sub.currency, sub.interval), sub.price, sub.currency,
            sub.interval, product_name=f"{load_policy().brand} {sub.plan}")
        # A trial until the mirrored period ends keeps Stripe from charging again now:
        # the history of payments comes from the seed's charges, not from Stripe's clock.
        trial_end = sub.current_period_end if sub.current_period_end > now_utc() else None
        subscription = gateway.create_subscription(
            customer.stripe_id, plan_id, trial_end=trial_end,
            metadata={"mirror_id": str(sub.id)})
        sub.stripe_id = subscription["id"]
        if sub.cancel_at_period_end:
            gateway.cancel_subscription(sub.stripe_id, at_period_end=True,
                                        idempotency_key=f"seed-cancel-end-{sub.stripe_id}")
        created += 1
    for charge in customer.charges:
        if charge.stripe_id is not None:
            continue
        charge.stripe_id = gateway.create_payment(
            customer.stripe_id, charge.amount, charge.currency,
            metadata={"seed_id": charge.external_id},
            idempotency_key=f"seed-charge-{customer.stripe_id}-{charge.external_id}")
        created += 1
        if charge.refunded:
            # Stripe must agree with the mirror on what remains refundable.
            gateway.refund(charge.stripe_id, charge.refunded,
                           idempotency_key=f"seed-refund-{charge.stripe_id}",
                           metadata={"seed_id": charge.external_id})
    return created
