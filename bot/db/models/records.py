"""The product's own records: decisions, the money ledger, cases and their history, agents
and their sessions, identification codes, inbound deliveries and email threads."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text
from sqlalchemy.orm import Mapped, relationship

from bot.clock import now_utc
from bot.core.statuses import CaseStatus, OfferStatus
from bot.db.models.base import Base, UTCDateTime


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


# At most one refund case per charge is open at a time (a partial unique index).
OPEN_REFUND_CASE = text("kind = 'refund' AND status IN ('open', 'claimed') AND charge_id IS NOT NULL")


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
    charge_id: Mapped[int | None] = Column(ForeignKey("charges.id"))  # a refund case's payment
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
    __table_args__ = (Index("uq_open_refund_case_per_charge", "charge_id", unique=True,
                            sqlite_where=OPEN_REFUND_CASE, postgresql_where=OPEN_REFUND_CASE),)


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
    # Failed sign-ins on this account between the previous sign-in and this one, shown to the agent.
    failed_sign_ins: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    last_failed_from: Mapped[str | None] = Column(String(64))
    last_failed_at: Mapped[datetime | None] = Column(UTCDateTime)


class VerificationCode(Base):
    """A one-time code sent to an account's address to identify a conversation.

    Only an HMAC of the code is kept; attempts are counted so the code cannot be
    guessed, and a verified row identifies its conversation, on its channel and for the
    client that holds `client_key_hash`'s key, until it expires: knowing a conversation's
    id is never enough.
    """
    __tablename__ = "verification_codes"
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    channel: Mapped[str | None] = Column(String(40))
    client_key_hash: Mapped[str | None] = Column(String(64))  # SHA-256 of the client's own secret
    # The network address that asked, when its channel could tell: codes are counted per client
    # across the conversations it opens (bot/app/verification.py).
    requested_from: Mapped[str | None] = Column(String(64))
    email: Mapped[str] = Column(String(320), nullable=False, index=True)
    code_hmac: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    verified_at: Mapped[datetime | None] = Column(UTCDateTime)


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


class Offer(Base):
    """Something the assistant offered to do, in one turn of one conversation, for one customer.

    Money, a cancellation or a plan change is carried out only when the conversation's
    very next message says yes to it (actions/offer_turns.py reads the turns); this row is the
    record of what was offered, on what terms, and how it was answered. `token` goes into
    the offer's buttons, so a button pressed on an older message cannot answer a newer offer.
    A plan change is quoted as of `made_at` (Stripe's `proration_date`) and carried out as of
    the same moment, on the subscription `from_plan` as it then was (bot/app/plan_changes.py).
    """
    __tablename__ = "offers"
    id: Mapped[int] = Column(Integer, primary_key=True)
    token: Mapped[str] = Column(String(32), nullable=False, unique=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    channel: Mapped[str | None] = Column(String(40))
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    kind: Mapped[str] = Column(String(30), nullable=False)  # refund | cancel_at_period_end | plan_change
    decision_id: Mapped[int | None] = Column(ForeignKey("decisions.id"))
    plan_id: Mapped[str | None] = Column(String(100))    # a plan change: the plan offered
    from_plan: Mapped[str | None] = Column(String(100))  # and the plan it replaces
    amount: Mapped[int] = Column(BigInteger, nullable=False, default=0)
    currency: Mapped[str | None] = Column(String(3))
    status: Mapped[str] = Column(String(20), nullable=False, default=OfferStatus.OPEN)
    made_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=now_utc)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    answered_at: Mapped[datetime | None] = Column(UTCDateTime)

    customer = relationship("Customer")
    decision = relationship("DecisionRecord")
