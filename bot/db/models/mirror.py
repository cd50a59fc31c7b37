"""Stripe's world as the mirror holds it: customers, subscriptions, payments, refunds,
invoices, balance transactions, and the product's own incident records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from bot.clock import now_utc
from bot.db.models.base import Base, UTCDateTime


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(320), nullable=False, unique=True)
    name: Mapped[str] = Column(String(200), nullable=False, default="")
    created: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    stripe_id: Mapped[str | None] = Column(String(255), unique=True)
    balance: Mapped[int | None] = Column(BigInteger)  # Stripe's balance; negative = credit
    stripe_updated_at: Mapped[datetime | None] = Column(UTCDateTime)  # newest Stripe state applied

    subscription = relationship("Subscription", uselist=False, back_populates="customer")
    charges = relationship("Charge", back_populates="customer", order_by="Charge.created")
    incidents = relationship("Incident", back_populates="customer", order_by="Incident.start")
    refunds = relationship("Refund", back_populates="customer", order_by="Refund.created")


class Subscription(Base):
    __tablename__ = "subscriptions"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False, unique=True)
    plan: Mapped[str] = Column(String(100), nullable=False)
    price: Mapped[int] = Column(BigInteger, nullable=False)
    currency: Mapped[str] = Column(String(3), nullable=False)
    interval: Mapped[str] = Column(String(10), nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False)
    trial_end: Mapped[datetime | None] = Column(UTCDateTime)
    current_period_start: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    current_period_end: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    cancel_at_period_end: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    canceled_at: Mapped[datetime | None] = Column(UTCDateTime)
    stripe_id: Mapped[str | None] = Column(String(255), unique=True)
    stripe_updated_at: Mapped[datetime | None] = Column(UTCDateTime)

    customer = relationship("Customer", back_populates="subscription")


class Charge(Base):
    __tablename__ = "charges"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    external_id: Mapped[str] = Column(String(255), nullable=False, unique=True)  # seed id
    stripe_id: Mapped[str | None] = Column(String(255), unique=True)
    amount: Mapped[int] = Column(BigInteger, nullable=False)
    currency: Mapped[str] = Column(String(3), nullable=False)
    created: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    refunded: Mapped[int] = Column(BigInteger, nullable=False, default=0)
    stripe_updated_at: Mapped[datetime | None] = Column(UTCDateTime)

    customer = relationship("Customer", back_populates="charges")


class Refund(Base):
    """A refund that happened (seeded history or executed by us), with the rule behind it.

    `charge_ref` is the charge's external id: history may name a charge that is older
    than the charges the mirror holds (docs/contracts.md's own example does).
    """
    __tablename__ = "refunds"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    charge_ref: Mapped[str] = Column(String(255), nullable=False)
    amount: Mapped[int] = Column(BigInteger, nullable=False)
    rule: Mapped[str | None] = Column(String(4))
    created: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    stripe_id: Mapped[str | None] = Column(String(255), unique=True)
    origin: Mapped[str] = Column(String(20), nullable=False, default="seed")  # seed | ledger
    # Stripe may fail a refund after accepting it (a closed card): the money came back to
    # the merchant, so a failed or canceled refund no longer counts anywhere.
    status: Mapped[str] = Column(String(20), nullable=False, default="succeeded",
                                 server_default="succeeded")  # succeeded | pending | failed | canceled

    customer = relationship("Customer", back_populates="refunds")
    __table_args__ = (UniqueConstraint("customer_id", "charge_ref", "created", name="uq_refund_history"),)


class Invoice(Base):
    """A Stripe invoice as the webhook and `bot sync` last saw it (amounts in minor units)."""
    __tablename__ = "invoices"
    id: Mapped[int] = Column(Integer, primary_key=True)
    stripe_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    subscription_stripe_id: Mapped[str | None] = Column(String(255))
    status: Mapped[str] = Column(String(20), nullable=False)  # draft | open | paid | uncollectible | void
    amount_due: Mapped[int] = Column(BigInteger, nullable=False)
    amount_paid: Mapped[int] = Column(BigInteger, nullable=False, default=0)
    currency: Mapped[str] = Column(String(3), nullable=False)
    charge_stripe_id: Mapped[str | None] = Column(String(255))
    period_start: Mapped[datetime | None] = Column(UTCDateTime)
    period_end: Mapped[datetime | None] = Column(UTCDateTime)
    created: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    paid_at: Mapped[datetime | None] = Column(UTCDateTime)
    stripe_updated_at: Mapped[datetime | None] = Column(UTCDateTime)


class BalanceTransaction(Base):
    """A customer balance transaction: Stripe's append-only record of credits (negative)
    and debits, applied to the next invoice. `ledger_key` marks the ones the bot made."""
    __tablename__ = "balance_transactions"
    id: Mapped[int] = Column(Integer, primary_key=True)
    stripe_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    amount: Mapped[int] = Column(BigInteger, nullable=False)
    currency: Mapped[str] = Column(String(3), nullable=False)
    ending_balance: Mapped[int] = Column(BigInteger, nullable=False)
    type: Mapped[str] = Column(String(40), nullable=False)
    description: Mapped[str | None] = Column(Text)
    ledger_key: Mapped[str | None] = Column(String(255))
    created: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    feature: Mapped[str] = Column(String(100), nullable=False)
    start: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    end: Mapped[datetime | None] = Column(UTCDateTime)

    customer = relationship("Customer", back_populates="incidents")
    __table_args__ = (UniqueConstraint("customer_id", "feature", "start", name="uq_incident"),)


class StripeEvent(Base):
    """A Stripe webhook event already applied: written in the same transaction as its
    changes, so a repeated delivery finds it and changes nothing."""
    __tablename__ = "stripe_events"
    id: Mapped[int] = Column(Integer, primary_key=True)
    event_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    type: Mapped[str] = Column(String(100), nullable=False)
    created: Mapped[datetime] = Column(UTCDateTime, nullable=False)  # Stripe's time of the event
    outcome: Mapped[str] = Column(String(20), nullable=False)  # applied | unchanged | ignored
    received_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)


class StripeSyncCursor(Base):
    """Where an unfinished `bot sync` stopped, per Stripe list; removed when a run completes."""
    __tablename__ = "stripe_sync_cursors"
    id: Mapped[int] = Column(Integer, primary_key=True)
    resource: Mapped[str] = Column(String(40), nullable=False, unique=True)
    after_id: Mapped[str | None] = Column(String(255))  # the last object applied
    done: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)
