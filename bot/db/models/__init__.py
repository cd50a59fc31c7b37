"""Tables: the mirror of Stripe (mirror.py), the product's own records (records.py), the
conversations around Rasa (activity.py), the console's sign-in throttles (sign_in.py) and the
leases that let one replica do a job at a time (leases.py).

SQLAlchemy 1.4 (pinned by Rasa) with 2.0-style usage: typed attributes, `select()`.
Every table is imported here, so `models.X` names any of them and Alembic sees them all.
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
                                  Offer,
                                  ReviewCase,
                                  VerificationCode,
)
from bot.db.models.activity import CannedReply, Conversation, Rating
from bot.db.models.leases import Lease
from bot.db.models.sign_in import SignInThrottle

__all__ = ["Base", "UTCDateTime", "BalanceTransaction", "Charge", "Customer", "Incident", "Invoice", "Refund",
           "StripeEvent", "StripeSyncCursor", "Subscription", "Agent", "AgentSession", "CaseEvent", "DecisionRecord",
           "EmailThread", "InboundToken", "LedgerEntry", "Offer", "ReviewCase", "VerificationCode",
           "SignInThrottle", "CannedReply", "Conversation", "Rating", "Lease"]
