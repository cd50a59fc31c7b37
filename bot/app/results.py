"""What the use cases hand back to the actions, the console and the command: frozen and typed.

The actions compare outcomes and statuses as enums and read fields by name, so a renamed key
fails where it is read, not in a customer's conversation. What goes into a Rasa slot or the
`bot` command's JSON is made plain at that edge (`as_json`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.domain import Outcome
from bot.core.plans import Plan
from bot.core.statuses import TextEnum


@dataclass(frozen=True)
class CaseSummary:
    """What the customer is told about their case, and the support channel about a new one."""
    case_id: int
    case_created: bool
    case_status: str
    case_due: str  # ISO 8601, as slots and JSON carry it
    case_kind: str
    announcement: Mapping[str, Any] = field(repr=False)
    handoff: str | None = None       # a person asked for: live | after_hours | queued
    next_opening: str | None = None  # ISO 8601: when people answer next (a handoff)

    def as_json(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "case_created": self.case_created, "case_status": self.case_status,
                "case_due": self.case_due, "case_kind": self.case_kind,
                **({"handoff": self.handoff, "next_opening": self.next_opening} if self.handoff else {})}


class _WithCase:
    """The case people follow something up on, if there is one, read as the old flat keys."""
    case: CaseSummary | None

    @property
    def case_id(self) -> int | None:
        return self.case.case_id if self.case else None

    @property
    def case_created(self) -> bool:
        return bool(self.case and self.case.case_created)

    @property
    def case_due(self) -> str | None:
        return self.case.case_due if self.case else None


@dataclass(frozen=True)
class RefundDecision(_WithCase):
    """The rules' decision on a refund request, recorded, with the payment it looked at."""
    decision_id: int
    rule: str
    outcome: Outcome
    charge_id: str | None
    base: int
    fee: int
    refund: int
    credit: int
    currency: str
    requires_cancellation: bool
    explanation: str
    amount_text: str
    customer_name: str | None
    facts: Mapping[str, Any]
    charge_amount: int | None = None
    charge_date: str | None = None  # ISO 8601 date of the payment
    case: CaseSummary | None = None
    # R2 waits for the customer's yes to stopping the renewal before a case opens (bot/app/reviews.py)
    awaits_cancellation: bool = False

    def as_json(self) -> dict[str, Any]:
        """The plain form: the contract's keys (docs/contracts.md section 3) and what was added to them."""
        plain = {"decision_id": self.decision_id, "rule": self.rule, "outcome": self.outcome.value,
                 "charge_id": self.charge_id, "base": self.base, "fee": self.fee, "refund": self.refund,
                 "credit": self.credit, "currency": self.currency, "requires_cancellation": self.requires_cancellation,
                 "explanation": self.explanation, "amount_text": self.amount_text,
                 "customer_name": self.customer_name, "facts": dict(self.facts),
                 "awaits_cancellation": self.awaits_cancellation}
        if self.charge_amount is not None:
            plain.update(charge_amount=self.charge_amount, charge_date=self.charge_date)
        return {**plain, **(self.case.as_json() if self.case else {})}


class RefundStatus(TextEnum):
    REFUNDED = "refunded"
    PENDING = "pending"          # under way: the ledger finishes it
    FAILED = "failed"            # people follow it up
    REVERSED = "reversed"        # paid, and sent back by the bank
    CHANGED = "changed"          # the rules no longer make this offer: nothing moved
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class RefundResult(_WithCase):
    """What carrying out a confirmed refund did, and the decision's terms (for "how much?")."""
    status: RefundStatus
    message: str  # what the customer is told
    decision_id: int
    amount_text: str
    refund: int
    fee: int
    currency: str
    charge_amount: int | None
    refund_id: str | None = None
    canceled: bool = False
    case: CaseSummary | None = None


@dataclass(frozen=True)
class ReviewOpened(_WithCase):
    """The R2 review case opened once the customer agreed to cancel, with the decision's terms
    (for "how much?")."""
    decision_id: int
    rule: str
    refund: int
    fee: int
    base: int
    currency: str
    case: CaseSummary | None = None


@dataclass(frozen=True)
class RenewalState:
    renews: bool
    access_until: datetime | None  # None: access has ended


class CancellationStatus(TextEnum):
    CANCELLED = "cancelled"
    NOT_RENEWING = "not_renewing"
    NOT_ALLOWED = "not_allowed"
    PENDING = "pending"


@dataclass(frozen=True)
class CancellationResult:
    status: CancellationStatus
    access_until: datetime | None


@dataclass(frozen=True)
class PlanOptions:
    """The customer's current plan (its catalogue entry if it has one; its name and price in any
    case) and the plans they may move to."""
    options: tuple[Plan, ...]
    current: Plan | None = None
    current_name: str | None = None
    current_price: tuple[int, str, str] | None = None  # amount, currency, interval
    current_id: str | None = None
    in_trial: bool = False  # nothing is prorated before the first payment


class Direction(TextEnum):
    CHARGE = "charge"
    CREDIT = "credit"
    NONE = "none"
    NEW_PERIOD = "new_period"  # another interval: a new period starts, invoiced at once


@dataclass(frozen=True)
class PlanQuote:
    """What Stripe says a plan change costs: prorated charge (positive) or credit (negative)."""
    plan: Plan
    from_plan: str
    prorated: int
    next_invoice: int
    currency: str
    direction: Direction
    left_as_credit: int = 0  # a new period's invoice below zero: kept as credit, never paid out


class PlanChangeStatus(TextEnum):
    CHANGED = "changed"
    PENDING = "pending"
    OUTDATED = "outdated"  # the subscription moved since it was quoted: quote again
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class PlanChangeResult:
    status: PlanChangeStatus
    plan: Plan
    error: str | None = None
