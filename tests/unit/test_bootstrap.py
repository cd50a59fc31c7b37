"""One way in for the use cases' dependencies: production's wiring by default, stand-ins by
name through the bootstrap, and production's again after."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.app import dependencies
from bot.app.bootstrap import bootstrap
from bot.billing.gateway import StripeGateway
from bot.clock import now_utc
from bot.email.mailer import send_mail
from bot.notify.slack_cases import announce
from bot.settings import load_policy

MOMENT = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)


def test_production_wiring_is_the_default():
    wired = bootstrap()
    assert dependencies.current() is wired
    assert (wired.gateway, wired.clock, wired.policy, wired.announce, wired.send_mail) == (
        StripeGateway.from_settings, now_utc, load_policy, announce, send_mail)


def test_a_stand_in_is_what_the_use_cases_get_until_the_next_bootstrap(wire):
    outbox = []
    wire(clock=lambda: MOMENT, send_mail=lambda *message, **sender: outbox.append(message))
    assert dependencies.current().clock() == MOMENT
    dependencies.current().send_mail("ana@example.com", "subject", "body", sender="s@example.com")
    assert outbox == [("ana@example.com", "subject", "body")]
    bootstrap()
    assert dependencies.current().clock is now_utc


def test_an_unknown_dependency_is_refused():
    with pytest.raises(TypeError):
        bootstrap(stripe=object())
    assert dependencies.current().clock is now_utc
