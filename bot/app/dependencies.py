"""What the use cases depend on, in one place: the database their units of work open, the
Stripe gateway, the clock, the refund policy, the support channel's announcements and mail.

The defaults are production's wiring. `bot.app.bootstrap.bootstrap(**fakes)` replaces any of
them (tests pass a gateway stand-in, a fixed clock, a mailbox that records), so nothing reaches
into a module's globals to swap a dependency. A use case still takes an explicit argument
(`engine=`, `gateway=`, `policy=`, `now=`) first, for callers that hold their own.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.billing.gateway import StripeGateway
from bot.clock import now_utc
from bot.core.policy import Policy
from bot.db.session import get_engine
from bot.email.mailer import send_mail
from bot.notify.slack_cases import announce
from bot.settings import load_policy


@dataclass(frozen=True)
class Dependencies:
    engine: Callable[[], Engine] = get_engine                        # the app database
    gateway: Callable[[], Any] = StripeGateway.from_settings         # Stripe, or its stand-in
    clock: Callable[[], datetime] = now_utc
    policy: Callable[[], Policy] = load_policy
    announce: Callable[[Mapping[str, Any]], None] = announce         # a new case, to the support channel
    send_mail: Callable[..., None] = send_mail                       # (to, subject, body, sender=...)


_current = Dependencies()


def current() -> Dependencies:
    return _current


def install(dependencies: Dependencies) -> None:
    global _current
    _current = dependencies
