"""A rollout stops pods with SIGTERM (deploy/k8s): a turn in flight is finished, not cut.

The real Rasa and action servers, as `make run` starts them, with Stripe held at the door
while a customer's "yes" to a refund is on its way: both servers get SIGTERM (as Kubernetes
sends it to each container's first process), finish the turn and exit cleanly, Rasa taking
no new connection meanwhile; the customer gets the answer and the refund is made once."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port
from bot.ops.runner import seed, stack_environment, start_assistant, start_localstripe
from tests.conftest import ROOT as TESTS_ROOT
from tests.e2e.test_action_server_crash import (
    CRASH_SEED,
    REFUND_TEXT,
    CrashStack,
    charge_of,
    ledger_refund,
    offer_refund,
    refunds_in_stripe,
    say_in_background,
)
from tests.support.e2e_stack import SECRET, print_server_logs, texts
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.e2e


@pytest.fixture
def stopping(tmp_path):
    model = Path(os.environ.get("GROUPTRACK_MODEL") or ensure_model())
    env = stack_environment()
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/shutdown.db", CUSTOMER_TOKEN_SECRET=SECRET,
               STRIPE_API_KEY="sk_test_shutdown", OUTBOX_DIR=str(tmp_path / "outbox"),
               POLICY_FILE=str(TESTS_ROOT / "tests" / "support" / "config" / "always-open.yml"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_CASES_CHANNEL", "SMTP_HOST"):
        env.pop(name, None)
    stack, proxy = Stack(env=env, logs=tmp_path), None
    try:
        stripe_url = start_localstripe(stack, free_port())
        seed(stack, str(CRASH_SEED))
        proxy = StripeProxy(stripe_url)
        stack.env["STRIPE_API_BASE"] = proxy.url
        actions_port = free_port()
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=actions_port)
        yield CrashStack(stack, proxy, stripe_url, actions_port)
    except Exception:
        print_server_logs(tmp_path)
        raise
    finally:
        stack.stop()
        if proxy is not None:
            proxy.close()


def accepts_connections(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        return True
    except OSError:
        return False


def test_sigterm_to_rasa_and_the_action_server_mid_turn_finishes_the_turn_and_pays_once(stopping):
    email, sender = "wes@example.com", "shutdown-wes"
    token = offer_refund(stopping, email, sender)
    stopping.proxy.hold_next_refund("held")
    thread, answer = say_in_background(stopping, sender, "yes", token)
    assert stopping.proxy.arrived.wait(60), "the refund never reached Stripe's door"
    servers = {name: process for name, process in stopping.stack.processes if name in ("rasa", "actions")}
    for process in servers.values():
        os.kill(process.pid, signal.SIGTERM)  # the container's first process, as the kubelet signals it
    for name in ("rasa", "actions"):
        assert not _exited_within(servers[name], 2), f"{name} exited with the turn still in flight"
    # Rasa's event loop is free while it waits: it has closed its listener at once. The action
    # server's loop runs the refund action itself (rasa-sdk calls a synchronous `run` on it), so
    # it sees the signal only once Stripe answers, and stops listening then.
    assert not accepts_connections(stopping.stack.urls["rasa"]), "Rasa still takes new connections"
    stopping.proxy.release.set()
    thread.join(60)
    told = texts(answer.get("replies") or [])
    assert REFUND_TEXT in told and "lost track" not in told, answer
    for name, process in servers.items():
        assert _exited_within(process, 30) and process.returncode == 0, f"{name}: {process.returncode}"
    charge_id, refunded = charge_of(stopping, email)
    assert [r.amount for r in refunds_in_stripe(stopping, charge_id)] == [4655] and refunded == 4655
    assert ledger_refund(stopping, email).status == "succeeded"


def _exited_within(process, seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False
