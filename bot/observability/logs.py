"""Structured logs: one JSON object a line, with the conversation id, and no secrets.

Every server process (action server, console, widget, reconciler, mail poller) calls
`configure()`. Messages and string fields pass through `redact` before they are written,
so a customer who pastes a card number, a one-time code or a token into the chat, or a
library that logs a URL with a key in it, never puts those into the logs.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

conversation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("conversation_id", default=None)

_CARD = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
_SECRETS = (
    (re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*"), "[token]"),  # JWTs: customer tokens
    (re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_\w+"), "[stripe-key]"),
    (re.compile(r"\bwhsec_\w+"), "[webhook-secret]"),
    (re.compile(r"\bxox[abpre]-[\w-]+"), "[slack-token]"),
    (re.compile(r"(?i)\b(token|secret|password|api_key|auth_token|signature)=([^&\s\"']+)"), r"\1=[redacted]"),
    # A six-digit number is a one-time code wherever it could be one: the codes are the
    # only six-digit values the assistant asks for, and a date or amount is not six bare digits.
    (re.compile(r"(?<![\d.,/-])\d{6}(?![\d.,/-])"), "[code]"),
)
# Libraries whose INFO lines say what every start does (Alembic's "Context impl SQLiteImpl",
# rasa-sdk's "Registered function for ..." sixteen times): their warnings still show.
QUIET_AT_INFO = ("alembic", "rasa_sdk.executor")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def redact(text: str) -> str:
    def card(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return "[card]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()

    text = _CARD.sub(card, text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "msg": redact(record.getMessage())}
        current = conversation_id.get()
        if current:
            entry["conversation_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


@contextmanager
def conversation(conversation: str | None) -> Iterator[None]:
    """Every line logged inside carries this conversation's id."""
    token = conversation_id.set(conversation)
    try:
        yield
    finally:
        conversation_id.reset(token)


def configure(level: int = logging.INFO, stream=None) -> None:
    """JSON lines on stderr for the whole process, replacing whatever handlers were there."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for chatty in QUIET_AT_INFO:
        logging.getLogger(chatty).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
