"""Rasa's socket.io channel, held to the REST channel's rules (channels/rest.py).

Rasa's own passes whatever a client emits to the bot: any size (engine.io allows a
megabyte), metadata of any shape (a string that is not JSON raises inside the server),
any `session_id` a client names, as often as it likes. Here, before the bot sees it:
- a connection from a browser page is accepted only from RASA_CORS_ORIGINS or the server's
  own host (`allowed_origin`): Rasa's server checks no origin at all, and CORS binds only
  long-polling, so without this any site's page could talk to it over a websocket;
- a `user_uttered` event must be `{"message", "metadata": {"customer_token"}?,
  "session_id"?}` with the REST channel's limits; metadata may come as `customData`
  (rasa-webchat's name for it) and keys it does not use are dropped (`known_metadata`);
  a message with no words in it (rasa-webchat sends one when its panel opens) is ignored;
  a refused one is answered on the socket with the reason as a plain `{"text"}` reply
  (widgets show only replies of the shapes Rasa sends), and goes no further;
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
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused

from bot.core.conversation_ids import SOCKETIO, fits
from bot.core.text import clean_text, parse_json
from bot.settings import settings
from bot.web.limits import CONVERSATION_ID, METADATA, rate_limiter
from channels.rest import RefusedMessage, check_message
from channels.turns import CountsTurns, OnNewMessage, admitted

MAX_FRAME = 16 * 1024  # bytes in one engine.io packet: a message and a token fit many times
WEBCHAT_METADATA = "customData"  # where botfront's rasa-webchat puts a message's metadata


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
            if says_nothing(data):
                return
            try:
                message = self.checked(data)
                sender = message.get("session_id") or sid
                if not (await limiter.allow(f"session:{sender}") and await limiter.allow(f"sid:{sid}")):
                    raise RefusedMessage(429, "too many messages; wait a few seconds")
                await check_own_conversation(sender)
            except RefusedMessage as refused:
                await self.sio.emit(self.bot_message_evt, {"text": f"Not sent: {refused}."}, room=sid)
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
        handlers["connect"] = from_allowed_origins(handlers["connect"], settings().rasa_cors_origins)
        return hook

    def checked(self, data: Any) -> dict:
        """Only the fields Rasa's handler reads, each checked; RefusedMessage otherwise."""
        if not isinstance(data, dict):
            raise RefusedMessage(400, 'send {"message", "metadata": {"customer_token"}}')
        metadata = data.get(self.metadata_key, data.get(WEBCHAT_METADATA))
        if isinstance(metadata, str):  # some socket.io widgets send it as JSON text
            try:
                metadata = parse_json(metadata)
            except ValueError:
                raise RefusedMessage(400, "metadata is not JSON") from None
        message = {"message": data.get("message"), "metadata": known_metadata(metadata)}
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


def says_nothing(data: Any) -> bool:
    """An event with no words to answer: rasa-webchat sends `{"customData", "session_id"}` when
    its panel opens (it has no opening message unless a site sets `initPayload`)."""
    if not isinstance(data, dict):
        return False
    message = data.get("message")
    return message is None or (isinstance(message, str) and not clean_text(message).strip())


def known_metadata(metadata: Any) -> Any:
    """A mapping keeps only the keys the assistant reads (rasa-webchat's own example sends
    `{language: "en"}`, and a site may add anything); anything else is left for the checks to
    refuse."""
    return {key: value for key, value in metadata.items() if key in METADATA} if isinstance(metadata, dict) \
        else metadata


def allowed_origin(origin: str | None, host: str | None, allowed: Iterable[str]) -> bool:
    """A browser names the page a connection comes from; servers and apps name none.
    A page may connect from RASA_CORS_ORIGINS (where Rasa's CORS lets it poll) or from the
    server's own host."""
    if not origin:
        return True
    return origin in allowed or "*" in allowed or (host is not None and urlsplit(origin).netloc == host)


def from_allowed_origins(connect, allowed: Iterable[str]):
    """Rasa's connect handler, for connections from allowed origins only (every transport:
    the origin is checked when socket.io connects, after engine.io's handshake)."""
    allowed = tuple(allowed)

    async def checked_connect(sid: str, environ: dict, auth: Any = None) -> Any:
        if not allowed_origin(environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST"), allowed):
            raise ConnectionRefused("this site may not use the assistant")
        return await connect(sid, environ, auth)

    return checked_connect


async def check_own_conversation(conversation_id: str) -> None:
    """RefusedMessage(403) unless the conversation is socket.io's own or new (then made its own)."""
    if not await admitted(conversation_id, SOCKETIO):
        raise RefusedMessage(403, "this conversation belongs to another channel")
