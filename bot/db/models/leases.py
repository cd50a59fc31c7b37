"""The table that lets one process among many replicas do a job (bot/db/leases.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlalchemy.orm import Mapped

from bot.db.models.base import Base, UTCDateTime


class Lease(Base):
    """A job's current holder ("reconciler", "email-poll:<mailbox>"), until `expires_at`.
    The holder renews it on each round of the job; a holder that died loses it when it lapses."""
    __tablename__ = "leases"
    name: Mapped[str] = Column(String(200), primary_key=True)
    holder: Mapped[str] = Column(String(200), nullable=False)  # host/pid/nonce: the pod name on Kubernetes
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
