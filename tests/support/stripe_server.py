"""A pytest plugin: a fresh localstripe process for each test that asks, on a free port.

localstripe is GPL: it only ever runs as a separate process (bot.ops.runner starts it
exactly as `make run` does), never imported.
"""
from __future__ import annotations

import pytest

from bot.billing.gateway import StripeGateway
from bot.billing.mirror.push import push_to_stripe
from bot.ops.processes import Stack, free_port
from bot.ops.runner import stack_environment, start_localstripe


@pytest.fixture
def localstripe(tmp_path):
    """The base URL of a running local Stripe with an empty store.

    One per test: seeding is idempotent against Stripe (it finds the objects an
    earlier load made), so a shared store would carry one test's refunds into the next.
    """
    stack = Stack(env=stack_environment(), logs=tmp_path)
    try:
        yield start_localstripe(stack, free_port())
    finally:
        stack.stop()


@pytest.fixture
def gateway(localstripe):
    return StripeGateway("sk_test_local", api_base=localstripe)


@pytest.fixture
def live_engine(seeded_engine, gateway):
    """The demo customers in the database and in the local Stripe."""
    push_to_stripe(seeded_engine, gateway)
    return seeded_engine
