"""The states and kinds that ledger rows, cases and Stripe refunds move through, named once.

They are `str` enums: the database stores and returns their plain values, and a value
read back compares equal to its member (`"pending" == LedgerStatus.PENDING`).
"""
from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    def __str__(self) -> str:  # the value, as the database and the logs hold it
        return self.value


class LedgerStatus(TextEnum):
    PENDING = "pending"        # written, not yet sent to Stripe (or Stripe did not answer)
    IN_FLIGHT = "in_flight"    # claimed by one caller, which is talking to Stripe
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REVERSED = "reversed"      # a refund Stripe failed after making it: the money came back


UNFINISHED = (LedgerStatus.PENDING, LedgerStatus.IN_FLIGHT)
FINISHED = (LedgerStatus.SUCCEEDED, LedgerStatus.FAILED, LedgerStatus.REVERSED)


class MovementKind(TextEnum):
    REFUND = "refund"
    CREDIT = "credit"
    CANCEL = "cancel"
    PLAN_CHANGE = "plan_change"


class CaseKind(TextEnum):
    REFUND = "refund"    # R2: a prorated refund for an agent to decide
    CREDIT = "credit"    # R5: a service credit for an agent to decide
    TICKET = "ticket"    # R6, or a refund Stripe returned: people follow up, no money by a click
    HANDOFF = "handoff"  # the customer asked for a person


MONEY_CASES = (CaseKind.REFUND, CaseKind.CREDIT)


class CaseStatus(TextEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    APPROVED = "approved"
    ADJUSTED = "adjusted"
    DENIED = "denied"
    CLOSED = "closed"
    FAILED = "failed"  # approved, but the money could not be made: a follow-up ticket is open


DECIDABLE = (CaseStatus.OPEN, CaseStatus.CLAIMED)
DECIDED = (CaseStatus.APPROVED, CaseStatus.ADJUSTED, CaseStatus.DENIED, CaseStatus.CLOSED, CaseStatus.FAILED)

class OfferKind(TextEnum):
    REFUND = "refund"                              # R1: cancel now (if it renews) and refund
    CANCEL_AT_PERIOD_END = "cancel_at_period_end"  # stop the renewal, access to the period's end
    PLAN_CHANGE = "plan_change"                    # R7, and undoing one


class OfferStatus(TextEnum):
    OPEN = "open"            # made in the assistant's latest turn, awaiting the next message
    ACCEPTED = "accepted"    # the very next message said yes: carried out
    DECLINED = "declined"    # the very next message said no
    WITHDRAWN = "withdrawn"  # something else came first: a later yes confirms nothing


# Stripe refund statuses after which no money went back to the customer.
REFUND_RETURNED = ("failed", "canceled")
