"""Turns and their latency for every customer channel, and the Rasa process's /metrics.

Rasa 3.6 has no hook around a turn, but every input channel hands each customer message
to the `on_new_message` callback Rasa gives its `blueprint`, and awaits it until the
assistant has answered. Wrapping that callback counts and times every turn on REST
(and so the widget), email and Slack alike, whatever the channel does around it.

The same wrapper notes each customer message on the conversation's row in the app
database (bot/app/chats.py): the live console watches it, and the dashboard counts
conversations by channel from it. A database hiccup there never costs the customer a turn.

Rasa's only way to add an HTTP route is an input channel, so `MetricsInput` is one that
takes no messages: `GET /webhooks/metrics/` serves this process's metrics (turns, and
anything else registered in it), with the same access rule as every other /metrics.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from sqlalchemy.exc import SQLAlchemyError

from bot.app.chats import Chats
from bot.clock import now_utc
from bot.observability.metrics import TURN_SECONDS, TURNS, exposition, scrape_allowed

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
log = logging.getLogger(__name__)
chats = Chats()  # this process's database (DATABASE_URL)


def counted(channel: str, on_new_message: OnNewMessage) -> OnNewMessage:
    async def answer(message: UserMessage) -> Any:
        started, received = time.monotonic(), now_utc()
        try:
            result = await on_new_message(message)
        except Exception:
            TURNS.labels(channel, "error").inc()
            await _note(channel, message.sender_id, received)
            raise
        TURNS.labels(channel, "answered").inc()
        TURN_SECONDS.labels(channel).observe(time.monotonic() - started)
        await _note(channel, message.sender_id, received)
        return result
    return answer


async def _note(channel: str, conversation_id: str | None, received) -> None:
    """Written once the turn is in the tracker (so a page that reloads on it shows the
    message), with the time the message arrived (so it reads as before the case it opened)."""
    if not conversation_id:
        return
    try:
        await asyncio.to_thread(chats.note_customer_message, conversation_id, channel=channel, now=received)
    except SQLAlchemyError as exc:
        log.warning("conversation %s: message not noted: %s", conversation_id, exc)


class CountsTurns:
    """For a channel that keeps Rasa's blueprint: `class X(CountsTurns, RestInput)`.

    A channel that writes its own `blueprint` comes before this in the method order, so
    it wraps the callback itself with `counted` (channels/email.py)."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(counted(self.name(), on_new_message))  # type: ignore[misc]


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
