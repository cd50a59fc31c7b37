"""Each conversation's activity, in the caller's session: the customer's messages, what was
told to it from outside, the help widget's presence, and the customer's address.

Several processes write the same row (Rasa for each turn, the widget server for presence,
the console for what it tells), so a row is made once under its unique key and every
later write is an update.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.core.conversation_ids import REST, WIDGET, reserved_for
from bot.db import models

# A widget's open connection says it is there every PRESENCE_BEAT; one not heard from for
# three beats has gone even if its last connection never said goodbye (a killed tab).
PRESENCE_BEAT = timedelta(seconds=15)


def conversation(session, conversation_id: str, *, channel: str, now: datetime,
                 widget: bool = False) -> models.Conversation:
    """The conversation's row, made if it is new."""
    found = find(session, conversation_id)
    if found is not None:
        return found
    row = models.Conversation(conversation_id=conversation_id, channel=channel, started_at=now,
                              customer_messages=0, widget=widget)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another process made it first
        found = find(session, conversation_id)
        if found is None:
            raise
        return found
    return row


def claim(session, conversation_id: str, space: str, *, now: datetime) -> models.Conversation:
    """The conversation's row, made `space`'s if it is new (bot/core/conversation_ids.py).
    The widget's conversations are Rasa's REST channel's (the widget relays through it),
    told apart from a REST client's by their `widget` flag."""
    return conversation(session, conversation_id, channel=REST if space == WIDGET else space, now=now,
                        widget=space == WIDGET)


def space_of(row: models.Conversation) -> str:
    """Which channel's conversation the row is (the widget counting as one). An email or Slack
    id is its channel's whatever the row says: before ids had spaces, the widget flagged any
    conversation it was pointed at as its own."""
    return reserved_for(row.conversation_id) or (WIDGET if row.widget and row.channel == REST else row.channel)


def find(session, conversation_id: str) -> models.Conversation | None:
    return session.execute(select(models.Conversation).where(
        models.Conversation.conversation_id == conversation_id)).scalar_one_or_none()


def record_customer_messages(session, waiting: dict[str, tuple[str, int, datetime, datetime]]) -> None:
    """Customer messages on their conversations: conversation id -> (channel, how many, when
    the first and the last of them arrived). A new conversation's row starts when its first
    message arrived. This runs for every customer message, so it is one INSERT ... ON CONFLICT
    per hundred conversations, made or counted on under their unique key, rather than the
    look-up, savepoint and update per conversation that `conversation` costs."""
    table = models.Conversation.__table__
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[session.get_bind().dialect.name]
    rows = [{"conversation_id": conversation_id, "channel": channel, "started_at": first, "customer_messages": count,
             "widget": False, "last_customer_at": last}
            for conversation_id, (channel, count, first, last) in sorted(waiting.items())]
    for start in range(0, len(rows), 100):   # within SQLite's limit on a statement's parameters
        statement = insert(table).values(rows[start:start + 100])
        session.execute(statement.on_conflict_do_update(
            index_elements=[table.c.conversation_id],
            set_={"customer_messages": table.c.customer_messages + statement.excluded.customer_messages,
                  "last_customer_at": statement.excluded.last_customer_at}))


def record_told(session, conversation_id: str, *, channel: str | None, now: datetime) -> None:
    conversation(session, conversation_id, channel=channel or "rest", now=now).last_told_at = now


def record_widget_seen(session, conversation_id: str, *, now: datetime, email: str | None = None) -> None:
    """A help widget is connected to the conversation now (it relays through the REST channel)."""
    row = claim(session, conversation_id, WIDGET, now=now)
    row.widget_seen_at = now
    # The first address proven here, by a token or a code, stays: a later token cannot redirect mail.
    if email and known_email(session, conversation_id) is None:
        row.email = email


def record_widget_left(session, conversation_id: str, *, now: datetime) -> None:
    row = find(session, conversation_id)
    if row is not None:
        row.widget_left_at = now


def customer_present(row: models.Conversation | None, now: datetime) -> bool:
    """A widget is open on the conversation (the panel may be closed: it shows a badge)."""
    if row is None or row.widget_seen_at is None:
        return False
    if row.widget_left_at is not None and row.widget_left_at >= row.widget_seen_at:
        return False
    return now - row.widget_seen_at <= 3 * PRESENCE_BEAT


def known_email(session, conversation_id: str) -> str | None:
    """The address the customer proved in this conversation: a verified token the widget
    passed, a one-time code, or the account a case of the conversation is about."""
    row = find(session, conversation_id)
    if row is not None and row.email:
        return row.email
    code = session.execute(
        select(models.VerificationCode.email)
        .where(models.VerificationCode.conversation_id == conversation_id,
               models.VerificationCode.verified_at.is_not(None))
        .order_by(models.VerificationCode.verified_at.desc()).limit(1)).scalar_one_or_none()
    if code:
        return code
    return session.execute(
        select(models.Customer.email).join(models.ReviewCase, models.ReviewCase.customer_id == models.Customer.id)
        .where(models.ReviewCase.conversation_id == conversation_id)
        .order_by(models.ReviewCase.id.desc()).limit(1)).scalar_one_or_none()
