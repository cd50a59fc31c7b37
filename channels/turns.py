"""Turns and their latency for every customer channel, and the Rasa process's /metrics.

Rasa 3.6 has no hook around a turn, but every input channel hands each customer message
to the `on_new_message` callback Rasa gives its `blueprint`, and awaits it until the
assistant has answered. Wrapping that callback counts and times every turn on REST
(and so the widget), email and Slack alike, whatever the channel does around it.

The same wrapper notes each customer message on the conversation's row in the app
database (bot/app/chats.py): the live console watches it, and the dashboard counts
conversations by channel from it. The turn does not wait for that write: one background
writer takes every note made since its last write in one transaction, so under load many
turns share a transaction (SQLite has one writer at a time, and the action server is
another). A database hiccup there never costs the customer a turn.

Rasa's only way to add an HTTP route is an input channel, so `MetricsInput` is one that
takes no messages: `GET /webhooks/metrics/` serves this process's metrics (turns, and
anything else registered in it), with the same access rule as every other /metrics.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request

from sqlalchemy.exc import SQLAlchemyError

from bot.app.chats import Chats
from bot.clock import now_utc
from bot.observability.metrics import TURN_SECONDS, TURNS, exposition, scrape_allowed
from channels.clauses import OnNewMessage, clause_by_clause

log = logging.getLogger(__name__)


def counted(channel: str, on_new_message: OnNewMessage) -> OnNewMessage:
    async def answer(message: UserMessage) -> Any:
        started, received = time.monotonic(), now_utc()
        try:
            result = await on_new_message(message)
        except Exception:
            TURNS.labels(channel, "error").inc()
            notes.add(channel, message.sender_id, received)
            raise
        TURNS.labels(channel, "answered").inc()
        TURN_SECONDS.labels(channel).observe(time.monotonic() - started)
        notes.add(channel, message.sender_id, received)
        return result
    return answer


@dataclass
class _Pending:
    channel: str
    count: int
    first_received: datetime
    last_received: datetime


class MessageNotes:
    """Customer messages waiting to be noted on their conversations' rows.

    Noted once the turn is in the tracker (a console page that reloads on the note shows
    the message), with the time the message arrived (so it reads as before the case it
    opened)."""

    def __init__(self, chats: Chats):
        self.chats = chats
        self._pending: dict[str, _Pending] = {}
        self._wake = asyncio.Event()
        self._writer: asyncio.Task | None = None

    def add(self, channel: str, conversation_id: str | None, received: datetime) -> None:
        if not conversation_id:
            return
        pending = self._pending.get(conversation_id)
        if pending is None:
            self._pending[conversation_id] = _Pending(channel, 1, received, received)
        else:
            pending.count += 1
            pending.last_received = max(pending.last_received, received)
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_forever())

    async def flush(self) -> None:
        """Write whatever is waiting now (tests, and a server that stops)."""
        await self._write_batch()

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._write_batch()

    async def _write_batch(self) -> None:
        batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            waiting = {cid: (p.channel, p.count, p.first_received, p.last_received) for cid, p in batch.items()}
            await asyncio.to_thread(self.chats.note_customer_messages, waiting)
        except SQLAlchemyError as exc:
            log.warning("%d conversation(s): messages not noted: %s", len(batch), exc)


chats = Chats()  # this process's database (DATABASE_URL)
notes = MessageNotes(chats)


async def admitted(conversation_id: str, space: str) -> bool:
    """Whether a customer's message on `space` may go to this conversation (Chats.claim):
    every channel asks before a message reaches Rasa, which keeps one tracker per id
    whatever channel the message came on."""
    return await asyncio.to_thread(chats.claim, conversation_id, space, now=now_utc())


class CountsTurns:
    """For a chat channel that keeps Rasa's blueprint: `class X(CountsTurns, RestInput)`. Its
    messages are counted, and one that asks several things is answered thing by thing
    (channels/clauses.py).

    A channel that writes its own `blueprint` comes before this in the method order, so
    it wraps the callback itself with `counted` (channels/email.py)."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook: Blueprint | None = None

        def agent() -> Agent | None:  # the server these routes were registered with, read at each message
            try:
                app = next(iter(hook.apps))
            except SanicException:  # not served by a Rasa server (the channel on its own, in a test)
                return None
            return getattr(app.ctx, "agent", None)

        hook = super().blueprint(counted(self.name(), clause_by_clause(on_new_message, agent)))  # type: ignore[misc]
        return hook


class MetricsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "metrics"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("metrics", __name__)

        @hook.route("/", methods=["GET"])
        async def metrics(request: Request):
            if not scrape_allowed(request.ip, request.headers.get("Authorization"),
                                  forwarded=request.headers.get("X-Forwarded-For")):
                return response.text("metrics are for this machine or a METRICS_TOKEN bearer\n", status=403)
            body, content_type = exposition()
            return response.raw(body, headers={"Content-Type": content_type})

        return hook
