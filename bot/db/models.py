"""Tables: the mirror of Stripe, the product's own records, decisions and the ledger.

SQLAlchemy 1.4 (pinned by Rasa) with 2.0-style usage: typed attributes, `select()`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from bot.clock import now_utc
from bot.core.statuses import CaseStatus
# Every table is reachable as models.X, and migrations name models.UTCDateTime.
from bot.db.base import Base, UTCDateTime  # noqa: F401
from bot.db.chat_models import CannedReply, Conversation, Rating  # noqa: F401


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
    than the charges the mirror holds (contracts.md's own example does).
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


class DecisionRecord(Base):
    """The audit trail of refund-rules.md: what was decided, on what, and what was done."""
    __tablename__ = "decisions"
    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    charge_id: Mapped[int | None] = Column(ForeignKey("charges.id"))
    rule: Mapped[str] = Column(String(4), nullable=False)
    reason: Mapped[str] = Column(String(40), nullable=False)
    outcome: Mapped[str] = Column(String(30), nullable=False)
    now: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    base: Mapped[int] = Column(BigInteger, nullable=False)
    fee: Mapped[int] = Column(BigInteger, nullable=False)
    refund: Mapped[int] = Column(BigInteger, nullable=False)
    credit: Mapped[int] = Column(BigInteger, nullable=False)
    currency: Mapped[str] = Column(String(3), nullable=False)
    requires_cancellation: Mapped[bool] = Column(Boolean, nullable=False)
    explanation: Mapped[str] = Column(Text, nullable=False)
    facts: Mapped[dict] = Column(JSON, nullable=False, default=dict)
    policy: Mapped[dict] = Column(JSON, nullable=False)
    channel: Mapped[str | None] = Column(String(40))
    conversation_id: Mapped[str | None] = Column(String(255))
    executed: Mapped[dict] = Column(JSON, nullable=False, default=dict)  # Stripe ids
    recorded_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)

    customer = relationship("Customer")
    charge = relationship("Charge")


class LedgerEntry(Base):
    """One money movement or plan change, written before Stripe is called.

    `idempotency_key` is deterministic from the decision, is sent to Stripe, and is
    unique here, so a repeated request finds the row instead of moving money again.
    """
    __tablename__ = "ledger"
    id: Mapped[int] = Column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = Column(String(255), nullable=False, unique=True)
    kind: Mapped[str] = Column(String(30), nullable=False)  # refund | credit | cancel | plan_change
    # pending | in_flight | succeeded | failed | reversed (a refund Stripe failed after making it)
    status: Mapped[str] = Column(String(20), nullable=False)
    decision_id: Mapped[int | None] = Column(ForeignKey("decisions.id"))
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    charge_id: Mapped[int | None] = Column(ForeignKey("charges.id"))
    amount: Mapped[int] = Column(BigInteger, nullable=False, default=0)
    currency: Mapped[str | None] = Column(String(3))
    params: Mapped[dict] = Column(JSON, nullable=False, default=dict)
    stripe_id: Mapped[str | None] = Column(String(255))
    error: Mapped[str | None] = Column(Text)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)


class VerificationCode(Base):
    """A one-time code sent to an account's address to identify a conversation.

    Only an HMAC of the code is kept; attempts are counted so the code cannot be
    guessed, and a verified row identifies its conversation until it expires.
    """
    __tablename__ = "verification_codes"
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    email: Mapped[str] = Column(String(320), nullable=False)
    code_hmac: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    verified_at: Mapped[datetime | None] = Column(UTCDateTime)


class ReviewCase(Base):
    """Work for a person: a discretionary refund (R2), a credit (R5), a technical ticket
    (R6) or a customer who asked for someone.

    `dedupe_key` makes the assistant open one case per conversation and reason however
    often the customer asks. The proposal is copied from the decision so the queue can be
    read without replaying the rules; the decision keeps the arithmetic.
    """
    __tablename__ = "review_cases"
    id: Mapped[int] = Column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = Column(String(400), nullable=False, unique=True)
    kind: Mapped[str] = Column(String(20), nullable=False)  # refund | credit | ticket | handoff
    status: Mapped[str] = Column(String(20), nullable=False, default=CaseStatus.OPEN)
    customer_id: Mapped[int | None] = Column(ForeignKey("customers.id"))
    decision_id: Mapped[int | None] = Column(ForeignKey("decisions.id"))
    rule: Mapped[str | None] = Column(String(4))
    reason: Mapped[str] = Column(String(40), nullable=False)
    channel: Mapped[str | None] = Column(String(40))
    conversation_id: Mapped[str | None] = Column(String(255), index=True)
    proposed_amount: Mapped[int] = Column(BigInteger, nullable=False, default=0)
    currency: Mapped[str | None] = Column(String(3))
    customer_note: Mapped[str] = Column(Text, nullable=False, default="")  # what they wrote
    claimed_by: Mapped[str | None] = Column(String(120))
    decided_by: Mapped[str | None] = Column(String(120))
    decided_amount: Mapped[int | None] = Column(BigInteger)
    decision_note: Mapped[str | None] = Column(Text)  # the reason the customer is given
    live_agent: Mapped[str | None] = Column(String(120))  # chatting with the customer now
    # The customer was told a person will join now and is waiting; cleared when one joins.
    waiting_live_since: Mapped[datetime | None] = Column(UTCDateTime)
    agent_typing_at: Mapped[datetime | None] = Column(UTCDateTime)  # the live agent's last keystroke
    due_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)

    customer = relationship("Customer")
    decision = relationship("DecisionRecord")
    events = relationship("CaseEvent", back_populates="case", order_by="CaseEvent.id")


class CaseEvent(Base):
    """Who did what to a case, and when: the case's history, append-only."""
    __tablename__ = "case_events"
    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(ForeignKey("review_cases.id"), nullable=False, index=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)
    actor: Mapped[str] = Column(String(120), nullable=False)  # "assistant" or "agent:<name>"
    action: Mapped[str] = Column(String(30), nullable=False)
    detail: Mapped[dict] = Column(JSON, nullable=False, default=dict)

    case = relationship("ReviewCase", back_populates="events")


class Agent(Base):
    """A support agent who works cases in the console; only a password hash is kept."""
    __tablename__ = "agents"
    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(120), nullable=False, unique=True)
    display_name: Mapped[str] = Column(String(200), nullable=False, default="")
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    available_until: Mapped[datetime | None] = Column(UTCDateTime)  # for live chats, until then
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)


class AgentSession(Base):
    """A signed-in console session. The cookie holds a random token; only its SHA-256 is
    stored, so a database leak does not hand out sessions. Logging out deletes the row."""
    __tablename__ = "agent_sessions"
    id: Mapped[int] = Column(Integer, primary_key=True)
    token_sha256: Mapped[str] = Column(String(64), nullable=False, unique=True)
    username: Mapped[str] = Column(String(120), nullable=False)
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class InboundToken(Base):
    """A signed inbound webhook's one-time token (Mailgun's `token`): seen once, so a
    replayed request is refused even inside its signature's time window."""
    __tablename__ = "inbound_tokens"
    id: Mapped[int] = Column(Integer, primary_key=True)
    source: Mapped[str] = Column(String(20), nullable=False)
    token: Mapped[str] = Column(String(255), nullable=False)
    seen_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    __table_args__ = (UniqueConstraint("source", "token", name="uq_inbound_token"),)


class EmailThread(Base):
    """Where an email conversation's replies go: the address and the thread's headers,
    so a reply (the assistant's, or an agent's days later) lands in the same thread."""
    __tablename__ = "email_threads"
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    address: Mapped[str] = Column(String(320), nullable=False)
    subject: Mapped[str] = Column(Text, nullable=False, default="")
    references: Mapped[str] = Column(Text, nullable=False, default="")  # space-separated Message-IDs
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)


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

