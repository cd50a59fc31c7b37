"""Tables: the mirror of Stripe, the product's own records, decisions and the ledger.

SQLAlchemy 1.4 (pinned by Rasa) with 2.0-style usage: typed attributes, `select()`.
"""
from bot.db.models.base import Base, UTCDateTime
from bot.db.models.mirror import (
                                  BalanceTransaction,
                                  Charge,
                                  Customer,
                                  Incident,
                                  Invoice,
                                  Refund,
                                  StripeEvent,
                                  StripeSyncCursor,
                                  Subscription,
)
from bot.db.models.records import (
                                  Agent,
                                  AgentSession,
                                  CaseEvent,
                                  DecisionRecord,
                                  EmailThread,
                                  InboundToken,
                                  LedgerEntry,
                                  ReviewCase,
                                  VerificationCode,
)

__all__ = ["Base", "UTCDateTime", "BalanceTransaction", "Charge", "Customer", "Incident", "Invoice", "Refund",
           "StripeEvent", "StripeSyncCursor", "Subscription", "Agent", "AgentSession", "CaseEvent", "DecisionRecord",
           "EmailThread", "InboundToken", "LedgerEntry", "ReviewCase", "VerificationCode"]
