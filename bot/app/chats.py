"""The customer's side of a web chat beyond its messages: who from the team is there and
typing, whether there is something to rate, a copy by email, and the conversation's
activity that open widgets and console pages watch."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app.dependencies import current
from bot.app.identity import InvalidToken, verify_customer_token
from bot.core import conversation_ids, messages
from bot.core.domain import Outcome
from bot.core.statuses import DECIDED, LedgerStatus, MovementKind
from bot.db import activity, models
from bot.db.session import reading, unit_of_work

TYPING_SHOWN = timedelta(seconds=6)  # an agent's keystroke shows "typing" this long
COMMENT_LIMIT = 1000


class ChatError(ValueError):
    """What the customer asked for cannot be done; the message says why, in their words."""


class Chats:
    """The web chat's records in the app database (the widget server's, faked in its unit tests)."""

    KNOWN_OWNERS = 100_000  # conversations whose owner a process remembers

    def __init__(self, engine: Engine | None = None):
        self.engine = engine
        # A conversation's owner never changes once its row is made: every customer message
        # asks (`claim`), and only the first from a process needs the database.
        self._owners: dict[str, str] = {}

    def note_customer_messages(self, waiting: dict[str, tuple[str, int, datetime, datetime]]) -> None:
        """Customer messages on their conversations, in one transaction: conversation id ->
        (channel, how many messages, when the first and the last of them arrived)."""
        with unit_of_work(self.engine) as session:
            activity.record_customer_messages(session, waiting)

    def claim(self, conversation_id: str, space: str, *, now: datetime) -> bool:
        """Whether a message on `space` (a channel, or the widget) may go to this conversation:
        its id has `space`'s shape, and it is `space`'s own or new (then made `space`'s).
        Every customer channel asks before anything reaches a conversation."""
        if not conversation_ids.fits(conversation_id, space):
            return False
        owner = self._owner(conversation_id)
        if owner is None:
            with unit_of_work(self.engine) as session:
                owner = activity.space_of(activity.claim(session, conversation_id, space, now=now))
            self._remember(conversation_id, owner)
        return owner == space

    def belongs(self, conversation_id: str, space: str) -> bool:
        """`claim` for what needs no new conversation (rating, a copy, leaving): nothing is made."""
        return conversation_ids.fits(conversation_id, space) and self._owner(conversation_id) in (None, space)

    def _owner(self, conversation_id: str) -> str | None:
        """The space whose conversation it is; None for a new one."""
        if conversation_id in self._owners:
            return self._owners[conversation_id]
        with reading(self.engine) as session:  # no write lock: a look-up never queues behind writers
            row = activity.find(session, conversation_id)
            owner = activity.space_of(row) if row is not None else None
        if owner is not None:
            self._remember(conversation_id, owner)
        return owner

    def _remember(self, conversation_id: str, owner: str) -> None:
        if len(self._owners) >= self.KNOWN_OWNERS:
            self._owners.clear()  # forgetting costs one look-up each; growing without end costs memory
        self._owners[conversation_id] = owner

    def widget_seen(self, conversation_id: str, *, now: datetime, token: str | None = None) -> None:
        """A widget is on the conversation; a valid customer token also tells us their address."""
        with unit_of_work(self.engine) as session:
            activity.record_widget_seen(session, conversation_id, now=now, email=token_email(token))

    def widget_left(self, conversation_id: str, *, now: datetime) -> None:
        with unit_of_work(self.engine) as session:
            activity.record_widget_left(session, conversation_id, now=now)

    def named(self, lines: list[dict]) -> list[dict]:
        """The transcript with each agent's line signed with their display name."""
        usernames = {line["agent"] for line in lines if line.get("agent")}
        with unit_of_work(self.engine) as session:
            names = dict(session.execute(select(models.Agent.username, models.Agent.display_name)
                                         .where(models.Agent.username.in_(usernames))).all()) if usernames else {}
        return [{**line, "name": (names.get(line.get("agent")) or line.get("agent") or messages.SUPPORT_TEAM)
                 if line["who"] == "agent" else None} for line in lines]

    def chat_state(self, conversation_id: str, *, now: datetime) -> dict:
        """Who from the team is in the chat, whether they are typing, what can be rated, and a
        `version` that changes whenever any of it, or the conversation, does."""
        with unit_of_work(self.engine) as session:
            row = activity.find(session, conversation_id)
            live = session.execute(
                select(models.ReviewCase.live_agent, models.ReviewCase.agent_typing_at, models.Agent.display_name)
                .outerjoin(models.Agent, models.Agent.username == models.ReviewCase.live_agent)
                .where(models.ReviewCase.conversation_id == conversation_id, models.ReviewCase.live_agent.is_not(None))
                .limit(1)).first()
            subject = None if live else _unrated_subject(session, conversation_id)
        person = (live.display_name or live.live_agent) if live else None
        typing = bool(live and live.agent_typing_at and now - live.agent_typing_at <= TYPING_SHOWN)
        version = [row.last_told_at.isoformat() if row and row.last_told_at else "",
                   row.customer_messages if row else 0, person or "", typing, subject and subject[0]]
        rating = {"subject": subject[0], "question": messages.RATING_QUESTION} if subject else None
        return {"person": person, "typing": typing, "rating": rating, "version": "|".join(map(str, version))}

    def rate(self, conversation_id: str, subject: str, score: object, comment: str, *, now: datetime) -> None:
        """Keep the customer's rating of what was just resolved; once per resolution."""
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise ChatError(messages.RATING_OUT_OF_RANGE)
        with unit_of_work(self.engine) as session:
            due = _unrated_subject(session, conversation_id)
            if due is None or due[0] != subject:
                raise ChatError(messages.RATING_NOT_ASKED)
            session.add(models.Rating(conversation_id=conversation_id, subject=subject, case_id=due[1], score=score,
                                      comment=(comment or "").strip()[:COMMENT_LIMIT], created_at=now))

    def send_copy(self, conversation_id: str, lines: list[dict], *, brand: str, email_from: str) -> str:
        """Email the conversation to the address the customer proved in it; the customer's
        words for where it went. Never to an address typed in the request: this must not
        become a way to mail anyone anything."""
        with unit_of_work(self.engine) as session:
            address = activity.known_email(session, conversation_id)
        if address is None:
            raise ChatError(messages.COPY_NEEDS_ADDRESS)
        speaker = {"customer": "You", "assistant": "Assistant"}
        subject, body = messages.transcript_mail(brand, [
            (moment(line.get("at")), line.get("name") or speaker.get(line["who"], messages.SUPPORT_TEAM), line["text"])
            for line in lines])
        current().send_mail(address, subject, body, sender=email_from)
        return messages.copy_sent(address)


def token_email(token: str | None) -> str | None:
    try:
        return verify_customer_token(token) if token else None
    except InvalidToken:
        return None


def moment(timestamp: float | None) -> datetime | None:
    """A tracker event's time (seconds since the epoch) as a UTC datetime."""
    return datetime.fromtimestamp(timestamp, timezone.utc) if timestamp else None


def _unrated_subject(session, conversation_id: str) -> tuple[str, int | None] | None:
    """The newest resolution in the conversation not rated yet: a decided or handed-back
    case, or a refund the assistant paid itself."""
    case = session.execute(
        select(models.ReviewCase.id, models.ReviewCase.updated_at)
        .where(models.ReviewCase.conversation_id == conversation_id, models.ReviewCase.status.in_(DECIDED))
        .order_by(models.ReviewCase.updated_at.desc()).limit(1)).first()
    paid = session.execute(
        select(models.DecisionRecord.id, models.LedgerEntry.updated_at)
        .join(models.LedgerEntry, models.LedgerEntry.decision_id == models.DecisionRecord.id)
        .where(models.DecisionRecord.conversation_id == conversation_id,
               models.DecisionRecord.outcome == Outcome.AUTO_REFUND.value,
               models.LedgerEntry.kind == MovementKind.REFUND, models.LedgerEntry.status == LedgerStatus.SUCCEEDED)
        .order_by(models.LedgerEntry.updated_at.desc()).limit(1)).first()
    candidates = [(f"case:{case.id}", case.id, case.updated_at)] if case else []
    candidates += [(f"decision:{paid.id}", None, paid.updated_at)] if paid else []
    if not candidates:
        return None
    subject, case_id, _ = max(candidates, key=lambda c: c[2])
    rated = session.execute(select(models.Rating.id).where(
        models.Rating.conversation_id == conversation_id, models.Rating.subject == subject)).first()
    return None if rated else (subject, case_id)
