"""Rasa's socket.io channel, held to the REST channel's rules (channels/rest.py).

Rasa's own passes whatever a client emits to the bot: any size (engine.io allows a
megabyte), metadata of any shape (a string that is not JSON raises inside the server),
any `session_id` a client names, as often as it likes. Here, before the bot sees it:
- a `user_uttered` event must be `{"message", "metadata": {"customer_token"}?,
  "session_id"?}` with the REST channel's limits; a refused one is answered on the
  socket with the reason (`bot_uttered` with `"error": status`), and goes no further;
- each session and each connection has a token bucket (shared through Redis like the
  REST channel's when RATE_LIMIT_REDIS_URL is set);
- a session id a client asks for must look like one the widget makes (16-64 letters,
  digits or dashes), never a Slack user id or an email thread's id, and a message goes only
  to socket.io's own conversations (check_own_conversation), never a REST client's or the
  help widget's;
- with session persistence the socket does join its session's room (see session_request).
"""
from __future__ import annotations

import uuid
from typing import Any, Optional

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot.core.conversation_ids import SOCKETIO, fits
from bot.core.text import clean_text, parse_json
from bot.web.limits import CONVERSATION_ID, rate_limiter
from channels.rest import RefusedMessage, check_message
from channels.turns import CountsTurns, OnNewMessage, admitted

MAX_FRAME = 16 * 1024  # bytes in one engine.io packet: a message and a token fit many times


class GuardedSocketIOInput(CountsTurns, SocketIOInput):
    per_minute, burst = 30, 10

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "GuardedSocketIOInput":
        credentials = dict(credentials or {})
        limits = {key: int(credentials.pop(key)) for key in ("per_minute", "burst") if key in credentials}
        channel = super().from_credentials(credentials)
        channel.per_minute, channel.burst = limits.get("per_minute", cls.per_minute), limits.get("burst", cls.burst)
        return channel

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = super().blueprint(on_new_message)
        limiter = rate_limiter(self.name(), per_minute=self.per_minute, burst=self.burst)
        self.sio.eio.max_http_buffer_size = MAX_FRAME
        handlers = self.sio.handlers[self.namespace or "/"]
        deliver = handlers[self.user_message_evt]

        async def user_message(sid: str, data: Any) -> None:
            try:
                message = self.checked(data)
                sender = message.get("session_id") or sid
                if not (await limiter.allow(f"session:{sender}") and await limiter.allow(f"sid:{sid}")):
                    raise RefusedMessage(429, "too many messages; wait a few seconds")
                await check_own_conversation(sender)
            except RefusedMessage as refused:
                await self.sio.emit(self.bot_message_evt, {"text": f"Not sent: {refused}.",
                                                           "error": refused.status_code}, room=sid)
                return
            await deliver(sid, message)

        async def session_request(sid: str, data: Any) -> None:
            session_id = widget_session(data.get("session_id") if isinstance(data, dict) else None)
            session_id = session_id or uuid.uuid4().hex  # a new session rather than someone else's conversation
            if self.session_persistence:
                # Rasa 3.6 calls enter_room without awaiting it, a coroutine since python-socketio
                # 5: the socket never joined its session's room and never heard the replies.
                await self.sio.enter_room(sid, session_id, namespace=self.namespace)
            await self.sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        handlers[self.user_message_evt], handlers["session_request"] = user_message, session_request
        return hook

    def checked(self, data: Any) -> dict:
        """Only the fields Rasa's handler reads, each checked; RefusedMessage otherwise."""
        if not isinstance(data, dict):
            raise RefusedMessage(400, 'send {"message", "metadata": {"customer_token"}}')
        metadata = data.get(self.metadata_key)
        if isinstance(metadata, str):  # some socket.io widgets send it as JSON text
            try:
                metadata = parse_json(metadata)
            except ValueError:
                raise RefusedMessage(400, "metadata is not JSON") from None
        message = {"message": data.get("message"), "metadata": metadata}
        check_message(message)
        message["message"] = clean_text(message["message"])
        message[self.metadata_key] = message.pop("metadata") or {}
        if self.session_persistence:
            message["session_id"] = widget_session(data.get("session_id"))
            if message["session_id"] is None:
                raise RefusedMessage(400, "session_id must be the one session_request confirmed")
        return message


def widget_session(value: Any) -> str | None:
    return value if isinstance(value, str) and CONVERSATION_ID.fullmatch(value) and fits(value, SOCKETIO) else None


async def check_own_conversation(conversation_id: str) -> None:
    """RefusedMessage(403) unless the conversation is socket.io's own or new (then made its own)."""
    if not await admitted(conversation_id, SOCKETIO):
        raise RefusedMessage(403, "this conversation belongs to another channel")
