"""Rasa's REST channel, accepting only what the help widget and host apps send.

Same URL as Rasa's own (`/webhooks/rest/webhook`), so the contract holds, with:
- the body checked: `sender` (1-64 letters, digits, `-_:.@`), `message` (a string of at
  most MAX_MESSAGE characters) and optional `metadata` holding only `customer_token`,
  `client_key`, `locale` and `timezone`, each of its shape;
  anything else is a 400 or 413 with a one-line reason, before the bot sees it;
- a per-sender and a per-address token bucket (429 when exceeded: new sender ids from one
  address are still one address), shared by the replicas through Redis when
  RATE_LIMIT_REDIS_URL is set (bot/web/limits.py), else in this process's memory; the
  address is the one TRUSTED_PROXIES (the widget relay, nginx) forward, else the caller's;
- the text cleaned (bot/core/text.py) before the bot, the tracker or a page sees it;
- the input channel always "rest": Rasa's own lets the client name any channel, which
  would let a REST caller pass as another channel's conversation;
- the sender only in REST's own id space (bot/core/conversation_ids.py), a 403 otherwise:
  never an email thread's, a Slack user's or a socket.io session's, nor the help widget's
  unless the widget's relay sends it (RELAY_HEADER), and the widget never a REST client's;
- the client's address put in the message's metadata (`client_address`, which no client may
  send itself): one-time codes are limited per client across its conversations.
"""
from __future__ import annotations

import re
from typing import Any, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import SanicException

from bot.core.constant_time import secret_matches
from bot.core.conversation_ids import REST, WIDGET
from bot.core.text import clean_text
from bot.notify.rasa_api import RELAY_HEADER, relay_proof
from bot.settings import is_loopback, settings
from bot.web.limits import MAX_MESSAGE, METADATA, checked_metadata, client_address, rate_limiter
from channels.turns import CountsTurns, admitted

SENDER = re.compile(r"[A-Za-z0-9_:.@-]{1,64}")  # fullmatch: `$` would let a trailing newline in


class RefusedMessage(SanicException):
    def __init__(self, status: int, message: str):
        super().__init__(message, status_code=status)


def check_body(body: Any) -> None:
    """Raise RefusedMessage unless the body is what the widget or a host app sends."""
    if not isinstance(body, dict):
        raise RefusedMessage(400, 'send JSON: {"sender", "message", "metadata": {"customer_token"}}')
    check_sender(body.get("sender"))
    check_message(body)


def check_sender(sender: Any) -> None:
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        raise RefusedMessage(400, "sender must be 1-64 letters, digits or -_:.@")


def check_message(body: dict) -> None:
    """The `message` and `metadata` every customer channel carries (REST and socket.io)."""
    message = body.get("message")
    if not isinstance(message, str) or not clean_text(message).strip():
        raise RefusedMessage(400, "message must be a non-empty string")
    if len(message) > MAX_MESSAGE:
        raise RefusedMessage(413, f"message is {len(message)} characters; the limit is {MAX_MESSAGE}")
    metadata = body.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict) or set(metadata) - set(METADATA):
        raise RefusedMessage(400, f"metadata may only hold {', '.join(METADATA)}")
    try:
        checked_metadata(metadata)
    except ValueError as problem:
        raise RefusedMessage(400, str(problem)) from None


class GuardedRestInput(CountsTurns, RestInput):
    def __init__(self, per_minute: int = 30, burst: int = 10, address_per_minute: int = 60,
                 address_burst: int = 30) -> None:
        self.limiter = rate_limiter("rest", per_minute=per_minute, burst=burst)
        self.address_limiter = rate_limiter("rest-address", per_minute=address_per_minute, burst=address_burst)
        config = settings()
        self.trusted_proxies, self.relay_proof = config.trusted_proxies, relay_proof(config.rasa_auth_token)

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "GuardedRestInput":
        credentials = credentials or {}
        return cls(**{key: int(credentials[key]) for key in ("per_minute", "burst", "address_per_minute",
                                                            "address_burst") if key in credentials})

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req) -> Optional[Text]:
        # Rasa calls this first for every message: the one place to refuse before any work.
        try:
            body = req.json
        except Exception:  # noqa: BLE001 - Sanic raises its own types for unparsable JSON
            raise RefusedMessage(400, "the body is not JSON") from None
        check_body(body)
        address = self._client_address(req)
        # A caller on this machine that relays no one (a test, `bot email-try`, an operator's
        # curl) is not an address to limit; the relays name their customers' addresses.
        if not is_loopback(address) and not await self.address_limiter.allow(address):
            raise RefusedMessage(429, "too many messages from this address; wait a few seconds")
        if not await self.limiter.allow(body["sender"]):
            raise RefusedMessage(429, "too many messages from this sender; wait a few seconds")
        relayed = secret_matches(req.headers.get(RELAY_HEADER), self.relay_proof)
        if not await admitted(body["sender"], WIDGET if relayed else REST):
            raise RefusedMessage(403, "this conversation belongs to another channel")
        return body["sender"]

    def get_metadata(self, req) -> dict:
        """The client's metadata (checked by _extract_sender, which Rasa calls first), and the
        address the message came from, unless it is this machine's: the limits on one-time
        codes count a client across every conversation it opens (bot/app/verification.py)."""
        metadata = dict(req.json.get("metadata") or {})
        address = self._client_address(req)
        if not is_loopback(address):
            metadata["client_address"] = address
        return metadata

    def _client_address(self, req) -> str:
        return client_address(req.ip, req.headers.get("X-Forwarded-For"), self.trusted_proxies)

    def _extract_message(self, req) -> Optional[Text]:
        return clean_text(req.json["message"])  # checked by _extract_sender, which Rasa calls first

    def _extract_input_channel(self, req) -> Text:
        return self.name()
