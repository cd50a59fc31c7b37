"""What billing tells the layers above it, without importing them.

Billing records what Stripe says; what people should do about it (open a ticket, tell
the support channel) belongs to the use cases above. So billing publishes an event, and
`bot.app.bootstrap` subscribes the handlers at start-up, cosmicpython's message bus in
miniature. A handler runs inside the publisher's transaction (the event and its
consequences commit or roll back together) and may defer its own I/O to after the commit.

An event nobody subscribed to is an error, not a silent drop: every entry point calls
`bootstrap()`, and one that forgot finds out at the first event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RefundReturned:
    """Stripe failed or canceled a refund the assistant made, after making it."""
    ledger_key: str
    refund_id: str
    customer_id: int
    decision_id: int | None
    amount: int
    currency: str
    error: str
    at: datetime


@dataclass(frozen=True)
class MovementFailed:
    """A movement will not be made: Stripe refused it, or what it depended on failed."""
    ledger_key: str
    kind: str
    customer_id: int
    decision_id: int | None
    amount: int
    currency: str | None
    error: str
    at: datetime


Handler = Callable[[Session, object], None]
_handlers: dict[type, list[Handler]] = {}


class Unhandled(RuntimeError):
    """An event was published before `bot.app.bootstrap.bootstrap()` subscribed its handlers."""


def subscribe(event_type: type, handler: Handler) -> None:
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def publish(session: Session, event: object) -> None:
    handlers = _handlers.get(type(event))
    if not handlers:
        raise Unhandled(f"no handler for {type(event).__name__}: call bot.app.bootstrap.bootstrap() at start-up")
    for handler in handlers:
        handler(session, event)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction has committed (never if it rolls back)."""
    sqlalchemy_event.listen(session, "after_commit", lambda _session: action(), once=True)
