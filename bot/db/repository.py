"""Reads and writes of customer accounts, translating rows to the rules' plain data."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.core import domain
from bot.core.statuses import REFUND_RETURNED, LedgerStatus, MovementKind
from bot.db import models


class UnknownCustomer(LookupError):
    pass


def find_customer(session: Session, email: str) -> models.Customer:
    row = session.execute(
        select(models.Customer)
        .where(models.Customer.email == email.strip().lower())
        .options(joinedload(models.Customer.subscription),  # one row: in the same query
                 selectinload(models.Customer.charges),
                 selectinload(models.Customer.refunds),
                 selectinload(models.Customer.incidents))
    ).scalar_one_or_none()
    if row is None:
        raise UnknownCustomer(f"no customer with email {email}")
    return row


def customer_id(session: Session, email: str) -> int:
    """The customer's id alone, for a write that only points at them (an offer): no history loaded."""
    found = session.execute(select(models.Customer.id).where(
        models.Customer.email == email.strip().lower())).scalar_one_or_none()
    if found is None:
        raise UnknownCustomer(f"no customer with email {email}")
    return found


def find_subscription(session: Session, email: str) -> models.Subscription | None:
    """The customer's subscription, without their charges, refunds and incidents."""
    row = session.execute(select(models.Customer).where(models.Customer.email == email.strip().lower())
                          .options(joinedload(models.Customer.subscription))).scalar_one_or_none()
    if row is None:
        raise UnknownCustomer(f"no customer with email {email}")
    return row.subscription


def ended_at_once(session: Session, subscription: models.Subscription) -> bool:
    """Whether a cancellation that ends access at once (an R1 refund's) went through for it:
    its access ended then, not at the end of the period it had been paid to."""
    made = session.execute(select(models.LedgerEntry.params).where(
        models.LedgerEntry.customer_id == subscription.customer_id, models.LedgerEntry.kind == MovementKind.CANCEL,
        models.LedgerEntry.status == LedgerStatus.SUCCEEDED)).scalars()
    return any(params.get("subscription_id") == subscription.id and not params.get("at_period_end") for params in made)


def to_account(customer: models.Customer) -> domain.Account:
    sub = customer.subscription
    return domain.Account(
        email=customer.email,
        name=customer.name,
        subscription=domain.Subscription(
            plan=sub.plan, price=sub.price, currency=sub.currency, interval=sub.interval,
            status=sub.status, trial_end=sub.trial_end,
            current_period_start=sub.current_period_start,
            current_period_end=sub.current_period_end,
            cancel_at_period_end=sub.cancel_at_period_end, canceled_at=sub.canceled_at,
        ) if sub else None,
        charges=tuple(
            domain.Charge(id=c.external_id, amount=c.amount, currency=c.currency,
                          created=c.created, refunded=c.refunded)
            for c in customer.charges
        ),
        refunds=tuple(
            domain.PriorRefund(charge_id=r.charge_ref, amount=r.amount, rule=r.rule,
                               created=r.created)
            for r in customer.refunds if r.rule and r.status not in REFUND_RETURNED
        ),
        incidents=tuple(
            domain.Incident(feature=i.feature, start=i.start, end=i.end)
            for i in customer.incidents
        ),
    )


def load_account(session: Session, email: str) -> domain.Account:
    return to_account(find_customer(session, email))


def charge_by_external_id(session: Session, external_id: str) -> models.Charge | None:
    return session.execute(
        select(models.Charge).where(models.Charge.external_id == external_id)
    ).scalar_one_or_none()
