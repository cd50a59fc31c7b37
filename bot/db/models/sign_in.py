"""The table console sign-ins are throttled with (bot/app/sign_in.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import Mapped

from bot.db.models.base import Base, UTCDateTime


class SignInThrottle(Base):
    """Console sign-in attempts of one username ("user:alice") or one address
    ("address:203.0.113.5"), kept in the database so that every console replica counts
    them together. Each try is counted before the password is checked, by a conditional
    UPDATE on `attempts`, so concurrent tries cannot all slip through."""
    __tablename__ = "sign_in_throttles"
    id: Mapped[int] = Column(Integer, primary_key=True)
    subject: Mapped[str] = Column(String(200), nullable=False, unique=True)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)  # ever: the row's version
    failures: Mapped[int] = Column(Integer, nullable=False, default=0)  # in a row, for the delay
    blocked_until: Mapped[datetime | None] = Column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = Column(UTCDateTime)
    unseen_failures: Mapped[int] = Column(Integer, nullable=False, default=0)  # since the last sign-in
    last_failed_from: Mapped[str | None] = Column(String(64))
    last_failed_at: Mapped[datetime | None] = Column(UTCDateTime)
