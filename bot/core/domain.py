"""Plain data the refund rules read and write. No I/O, no ORM."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Reason(str, Enum):
    LATE_CANCELLATION = "late_cancellation"
    UNUSED_ACCOUNT = "unused_account"
    TECHNICAL_PROBLEM = "technical_problem"
    FORGOT_SUBSCRIPTION = "forgot_subscription"
    UNSPECIFIED = "unspecified"

    @classmethod
    def parse(cls, text: str) -> "Reason":
        try:
            return cls(text)
        except ValueError:
            options = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown reason {text!r} (one of: {options})") from None


class Outcome(str, Enum):
    AUTO_REFUND = "auto_refund"
    REVIEW_REFUND = "review_refund"
    REVIEW_CREDIT = "review_credit"
    TICKET = "ticket"
    NO_REFUND = "no_refund"
    NOTHING_TO_REFUND = "nothing_to_refund"


@dataclass(frozen=True)
class Subscription:
    plan: str
    price: int
    currency: str
    interval: str  # "month" | "year"
    status: str  # trialing | active | past_due | canceled
    current_period_start: datetime
    current_period_end: datetime
    trial_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None

    @property
    def renews(self) -> bool:
        """Still set to bill again: cancelling needs the customer's consent."""
        return self.status != "canceled" and not self.cancel_at_period_end


@dataclass(frozen=True)
class Charge:
    id: str  # the seed's / mirror's external id, reported back to people
    amount: int
    currency: str
    created: datetime
    refunded: int = 0

    @property
    def refundable(self) -> int:
        return max(self.amount - self.refunded, 0)


@dataclass(frozen=True)
class PriorRefund:
    charge_id: str
    amount: int
    rule: str
    created: datetime


@dataclass(frozen=True)
class Incident:
    feature: str
    start: datetime
    end: datetime | None  # None: still ongoing


@dataclass(frozen=True)
class Account:
    """Everything the rules may know about one customer."""
    email: str
    name: str
    subscription: Subscription | None
    charges: tuple[Charge, ...] = ()
    refunds: tuple[PriorRefund, ...] = ()
    incidents: tuple[Incident, ...] = ()


@dataclass(frozen=True)
class Decision:
    rule: str
    outcome: Outcome
    reason: Reason
    now: datetime
    charge_id: str | None
    base: int
    fee: int
    refund: int
    credit: int
    currency: str
    requires_cancellation: bool
    explanation: str
    facts: dict = field(default_factory=dict)  # the arithmetic and dates shown to agents

    def contract_json(self) -> dict:
        """The keys fixed by docs/contracts.md section 3."""
        return {
            "rule": self.rule,
            "outcome": self.outcome.value,
            "charge_id": self.charge_id,
            "base": self.base,
            "fee": self.fee,
            "refund": self.refund,
            "credit": self.credit,
            "currency": self.currency,
            "requires_cancellation": self.requires_cancellation,
            "explanation": self.explanation,
        }
