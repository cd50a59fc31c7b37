"""Tables of the conversations around Rasa: each conversation's activity and presence,
customers' ratings, and agents' canned replies (the live console, the widget, the dashboard)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from bot.db.models.base import Base, UTCDateTime


class Conversation(Base):
    """One customer conversation on any channel, as the servers around Rasa see it: when it
    started, the customer's last message, the last message told to it from outside its own
    turn (an agent, a decision), and the help widget's presence. It is the cheap source of
    change the live console and the widget poll, and the denominator of the dashboard."""
    __tablename__ = "conversations"
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    channel: Mapped[str] = Column(String(40), nullable=False)  # Rasa's input channel
    widget: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    email: Mapped[str | None] = Column(String(320))  # the customer's verified address
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    customer_messages: Mapped[int] = Column(Integer, nullable=False, default=0)
    last_customer_at: Mapped[datetime | None] = Column(UTCDateTime)
    last_told_at: Mapped[datetime | None] = Column(UTCDateTime)
    widget_seen_at: Mapped[datetime | None] = Column(UTCDateTime)  # a widget was connected then
    widget_left_at: Mapped[datetime | None] = Column(UTCDateTime)  # its last connection closed then
    followed_up_at: Mapped[datetime | None] = Column(UTCDateTime)  # the last follow-up email


class Rating(Base):
    """A customer's satisfaction rating (1-5) of a resolution or a live chat, once each."""
    __tablename__ = "ratings"
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    subject: Mapped[str] = Column(String(40), nullable=False)  # "case:12" or "decision:7"
    case_id: Mapped[int | None] = Column(ForeignKey("review_cases.id"))
    score: Mapped[int] = Column(Integer, nullable=False)
    comment: Mapped[str] = Column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    __table_args__ = (UniqueConstraint("conversation_id", "subject", name="uq_rating_subject"),)


class CannedReply(Base):
    """A reply agents reuse, with {variables} filled in from the case."""
    __tablename__ = "canned_replies"
    id: Mapped[int] = Column(Integer, primary_key=True)
    title: Mapped[str] = Column(String(120), nullable=False, unique=True)
    body: Mapped[str] = Column(Text, nullable=False)
    created_by: Mapped[str] = Column(String(120), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
