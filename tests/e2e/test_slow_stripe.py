"""A refund held at Stripe's door holds up no one else (issue 26 A).

The stack `make run` starts (localstripe, the action server, Rasa), with the action server
talking to Stripe through a proxy that holds one refund request until the test lets it go
(tests/support/stripe_proxy.py, stage "held"). While Ana's refund waits there, another
customer asks about the free trial: the answer must come while the refund is still held.
rasa-sdk used to run our synchronous actions on its event loop, so the question waited
for the refund (bot/ops/action_threads.py).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port
from bot.ops.runner import seed, stack_environment, start_assistant, start_localstripe
from tests.conftest import DEMO_SEED
from tests.conftest import ROOT as TESTS_ROOT
from tests.support.e2e_stack import SECRET, mirror, print_server_logs, say, stripe_refunds, texts
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.e2e

ANSWER_WITHIN = 30  # seconds: far more than a turn takes; the refund is held until after
TRIAL_ANSWER = "-day trial"  # utter_free_trial, with the policy's number of days


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    model = Path(os.environ.get("GROUPTRACK_MODEL") or ensure_model())
    tmp = tmp_path_factory.mktemp("slow-stripe")
    env = stack_environment()
    env.update(DATABASE_URL=f"sqlite:///{tmp}/slow.db", CUSTOMER_TOKEN_SECRET=SECRET,
               STRIPE_API_KEY="sk_test_slow", OUTBOX_DIR=str(tmp / "outbox"), STRIPE_TIMEOUT_SECONDS="90",
               POLICY_FILE=str(TESTS_ROOT / "tests" / "support" / "config" / "always-open.yml"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_CASES_CHANNEL", "SMTP_HOST"):
        env.pop(name, None)
    stack = Stack(env=env, logs=tmp)
    proxy = None
    try:
        start_localstripe(stack, free_port())
        seed(stack, str(DEMO_SEED))
        proxy = StripeProxy(stack.env["STRIPE_API_BASE"])
        stack.env["STRIPE_API_BASE"] = proxy.url
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=free_port())
        stack.proxy = proxy
        yield stack
    except Exception:
        print_server_logs(tmp)
        raise
    finally:
        stack.stop()
        if proxy is not None:
            proxy.close()


def in_background(stack: Stack, sender: str, text: str, token: str | None) -> tuple[threading.Thread, dict]:
    answer: dict = {}
    thread = threading.Thread(target=lambda: answer.update(replies=say(stack, sender, text, token)), daemon=True)
    thread.start()
    return thread, answer


def test_a_question_is_answered_while_another_customers_refund_waits_on_stripe(slow):
    ana = issue_customer_token("ana@example.com", secret=SECRET)
    assert "$46.55" in texts(say(slow, "slow-refund", "I cancelled a day late, can I get a refund?", ana))
    slow.proxy.hold_next_refund("held")
    refund, refunded = in_background(slow, "slow-refund", "yes", ana)
    try:
        assert slow.proxy.arrived.wait(60), "the refund never reached Stripe's door"
        question, asked = in_background(slow, "slow-question", "How long is the free trial?", None)
        question.join(ANSWER_WITHIN)
        answered_while_held = not question.is_alive() and refund.is_alive()
    finally:
        slow.proxy.release.set()
    refund.join(90)
    assert answered_while_held, "the question waited for the refund's Stripe call"
    assert TRIAL_ANSWER in texts(asked["replies"])
    told = texts(refunded["replies"])
    assert "refunded $46.55" in told, told  # the held refund went through once let go, once
    engine = mirror(slow)
    try:
        with engine.connect() as connection:
            charge = connection.execute(sa.select(models.Charge.stripe_id).where(
                models.Charge.external_id == "ch_ana_2")).scalar_one()
    finally:
        engine.dispose()
    assert [refund.amount for refund in stripe_refunds(slow, charge)] == [4655]
