"""Email a web-chat customer who left before a person answered.

A person's message in the chat (a live agent's, or a decision on their case) reaches a
widget only while it is open somewhere; when no widget has been there since the message
was written, the customer gets it by email at the address they proved in the
conversation, at most once per FOLLOW_UP_GAP so a chatty agent sends one mail, not ten.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core import messages
from bot.db import activity, models
from bot.db.session import unit_of_work
from bot.email.mailer import send_mail

WEB_CHANNELS = ("rest", "socketio")
FOLLOW_UP_GAP = timedelta(minutes=15)
log = logging.getLogger(__name__)


def is_person(sender: str) -> bool:
    return sender.startswith("agent:") or sender == "support_agent"


def follow_up_if_away(conversation_id: str, *, channel: str | None, sender: str, text: str, now: datetime,
                      brand: str, email_from: str, engine: Engine | None = None) -> str | None:
    """The address a follow-up went to, or None when none was due."""
    if channel not in WEB_CHANNELS or not is_person(sender):
        return None
    with unit_of_work(engine) as session:
        row = activity.find(session, conversation_id)
        if activity.customer_present(row, now):
            return None
        if row is not None and row.followed_up_at is not None and now - row.followed_up_at < FOLLOW_UP_GAP:
            return None
        address = activity.known_email(session, conversation_id)
        if address is None:
            return None
        activity.conversation(session, conversation_id, channel=channel, now=now).followed_up_at = now
        who = _name(session, sender)
    subject, body = messages.follow_up_mail(brand, who, text)
    try:
        send_mail(address, subject, body, sender=email_from)
    except OSError as exc:  # the chat message stands; the mail is a courtesy
        log.warning("follow-up mail for %s not sent: %s", conversation_id, exc)
        return None
    return address


def _name(session, sender: str) -> str:
    if not sender.startswith("agent:"):
        return messages.SUPPORT_TEAM
    username = sender.removeprefix("agent:")
    name = session.execute(select(models.Agent.display_name).where(
        models.Agent.username == username)).scalar_one_or_none()
    return name or username
