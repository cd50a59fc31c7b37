"""The real action server, SIGKILLed in the middle of a customer's refund.

The stack is the one `make run` starts (localstripe, the action server, Rasa), with the
action server talking to Stripe through a proxy that stops the refund request at the
exact moment under test (tests/support/stripe_proxy.py):
- killed after the ledger row was claimed, before Stripe saw the refund;
- killed after Stripe made the refund, before the ledger recorded it;
- Stripe silent past the action server's timeout (no kill): the customer is told plainly.

Each time the action server comes back, `bot reconcile` (a real process) finishes the
movement with the same idempotency key: exactly one refund in Stripe, the ledger and the
mirror agree, and the customer's own conversation says so.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.billing.ledger import CLAIM_LEASE
from bot.clock import now_utc
from bot.db import models
from bot.db.session import make_engine, unit_of_work
from bot.notify.rasa_api import RasaConversations
from bot.ops.model import ensure_model
from bot.ops.processes import BIN, Stack, free_port
from bot.ops.runner import action_server_command, seed, stack_environment, start_assistant, start_localstripe
from bot.settings import ROOT
from tests.conftest import ROOT as TESTS_ROOT
from tests.support.e2e_stack import SECRET, print_server_logs, say, stripe_refunds, texts
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.e2e

CRASH_SEED = TESTS_ROOT / "tests" / "support" / "seeds" / "crashes.yml"
REFUND_TEXT = "$46.55"


@dataclass
class CrashStack:
    stack: Stack
    proxy: StripeProxy
    stripe_url: str  # localstripe itself, for the reconciler and for looking
    actions_port: int

    @property
    def env(self) -> dict:
        return self.stack.env

    def kill_action_server(self) -> None:
        name, process = next((n, p) for n, p in self.stack.processes if n == "actions")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self.stack.processes.remove((name, process))

    def start_action_server(self) -> None:
        url = f"http://127.0.0.1:{self.actions_port}"
        self.stack.spawn("actions", action_server_command(self.actions_port), url, f"{url}/health", timeout=90)


@pytest.fixture(scope="module")
def crashes(tmp_path_factory):
    model = Path(os.environ.get("GROUPTRACK_MODEL") or ensure_model())
    tmp = tmp_path_factory.mktemp("crashes")
    env = stack_environment()
    env.update(DATABASE_URL=f"sqlite:///{tmp}/crashes.db", CUSTOMER_TOKEN_SECRET=SECRET,
               STRIPE_API_KEY="sk_test_crashes", OUTBOX_DIR=str(tmp / "outbox"), STRIPE_TIMEOUT_SECONDS="3",
               POLICY_FILE=str(TESTS_ROOT / "tests" / "support" / "config" / "always-open.yml"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_CASES_CHANNEL", "SMTP_HOST"):
        env.pop(name, None)
    stack = Stack(env=env, logs=tmp)
    proxy = None
    try:
        stripe_url = start_localstripe(stack, free_port())
        seed(stack, str(CRASH_SEED))
        proxy = StripeProxy(stripe_url)
        stack.env["STRIPE_API_BASE"] = proxy.url  # only the action server goes through the proxy
        actions_port = free_port()
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=actions_port)
        yield CrashStack(stack, proxy, stripe_url, actions_port)
    except Exception:
        print_server_logs(tmp)
        raise
    finally:
        stack.stop()
        if proxy is not None:
            proxy.close()


def offer_refund(crashes: CrashStack, email: str, sender: str) -> str:
    token = issue_customer_token(email, secret=SECRET)
    offer = texts(say(crashes.stack, sender, "I cancelled a day late, can I get a refund?", token))
    assert REFUND_TEXT in offer, offer
    return token


def say_in_background(crashes: CrashStack, sender: str, text: str, token: str) -> tuple[threading.Thread, dict]:
    answer: dict = {}

    def send():
        try:
            answer["replies"] = say(crashes.stack, sender, text, token)
        except OSError as exc:
            answer["error"] = exc

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, answer


def ledger_refund(crashes: CrashStack, email: str) -> models.LedgerEntry:
    engine = make_engine(crashes.env["DATABASE_URL"])
    try:
        with unit_of_work(engine) as session:
            row = session.execute(select(models.LedgerEntry).join(models.Customer).where(
                models.Customer.email == email, models.LedgerEntry.kind == "refund")).scalar_one()
            session.expunge(row)
            return row
    finally:
        engine.dispose()


def charge_of(crashes: CrashStack, email: str) -> tuple[str, int]:
    engine = make_engine(crashes.env["DATABASE_URL"])
    try:
        with unit_of_work(engine) as session:
            charge = session.execute(select(models.Charge).join(models.Customer).where(
                models.Customer.email == email)).scalar_one()
            return charge.stripe_id, charge.refunded
    finally:
        engine.dispose()


def let_the_claim_lapse(crashes: CrashStack, email: str) -> None:
    """As if the lease had run out: the reconciler never races a caller that may be alive."""
    engine = make_engine(crashes.env["DATABASE_URL"])
    try:
        with unit_of_work(engine) as session:
            rows = session.execute(select(models.LedgerEntry).join(models.Customer).where(
                models.Customer.email == email, models.LedgerEntry.status.in_(("pending", "in_flight")))).scalars()
            for row in rows:
                row.updated_at = now_utc() - CLAIM_LEASE - timedelta(seconds=1)
    finally:
        engine.dispose()


def reconcile_once(crashes: CrashStack) -> str:
    env = {**crashes.env, "STRIPE_API_BASE": crashes.stripe_url, "RASA_URL": crashes.stack.urls["rasa"]}
    done = subprocess.run([str(BIN / "bot"), "reconcile", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def assistant_lines(crashes: CrashStack, sender: str) -> list[str]:
    conversations = RasaConversations(crashes.stack.urls["rasa"], crashes.env["RASA_AUTH_TOKEN"])
    return [line["text"] for line in conversations.transcript(sender) if line["who"] == "assistant"]


def refunds_in_stripe(crashes: CrashStack, charge_stripe_id: str) -> list:
    looking = Stack(env={**crashes.env, "STRIPE_API_BASE": crashes.stripe_url})
    return stripe_refunds(looking, charge_stripe_id)


@pytest.mark.parametrize("stage, email, seed_charge", [("before", "wes@example.com", "ch_wes_1"),
                                                       ("after", "xan@example.com", "ch_xan_1")])
def test_a_killed_action_server_leaves_a_movement_that_reconciliation_finishes_once(
        crashes, stage, email, seed_charge):
    sender = f"crash-{stage}"
    token = offer_refund(crashes, email, sender)
    crashes.proxy.hold_next_refund(stage)
    thread, answer = say_in_background(crashes, sender, "yes", token)
    assert crashes.proxy.arrived.wait(60), "the refund never reached Stripe's door"
    crashes.kill_action_server()
    crashes.proxy.release.set()
    thread.join(90)
    assert not thread.is_alive(), "Rasa never answered after its action server died"
    # Rasa lost the action's events; its core fallback must not pretend it misheard a "yes".
    told = texts(answer.get("replies") or [])
    assert "lost track of that" in told and "Nothing will be paid or charged twice" in told, answer

    charge_id, refunded = charge_of(crashes, email)
    made = refunds_in_stripe(crashes, charge_id)
    assert len(made) == (0 if stage == "before" else 1)
    assert ledger_refund(crashes, email).status == "in_flight" and refunded == 0

    crashes.start_action_server()
    assert reconcile_once(crashes) == ""  # a killed caller's claim is honoured until its lease lapses
    let_the_claim_lapse(crashes, email)
    output = reconcile_once(crashes)
    refunds = refunds_in_stripe(crashes, charge_id)
    assert [r.amount for r in refunds] == [4655], refunds
    assert f"refund-{seed_charge}-R1: succeeded ({refunds[0].id})" in output, output
    entry = ledger_refund(crashes, email)
    assert (entry.status, entry.stripe_id) == ("succeeded", refunds[0].id)
    assert charge_of(crashes, email)[1] == 4655
    update = f"An update: your refund of {REFUND_TEXT} has now gone through."
    assert assistant_lines(crashes, sender).count(update) == 1

    assert reconcile_once(crashes) == ""  # nothing left, nobody told twice
    assert assistant_lines(crashes, sender).count(update) == 1
    after = texts(say(crashes.stack, sender, "thanks", token))  # the conversation goes on
    assert after.strip(), "the assistant stayed silent after its action server came back"
    assert len(refunds_in_stripe(crashes, charge_id)) == 1


def test_a_silent_stripe_is_explained_to_the_customer_and_paid_once_later(crashes):
    email, sender = "yuki@example.com", "crash-silent"
    token = offer_refund(crashes, email, sender)
    forwarded_before = crashes.proxy.refunds_forwarded
    crashes.proxy.hold_next_refund("late")
    reply = texts(say(crashes.stack, sender, "yes", token))
    assert "isn't answering right now" in reply and REFUND_TEXT in reply and "paid once" in reply, reply
    assert ledger_refund(crashes, email).status == "pending"

    crashes.proxy.release.set()  # Stripe wakes up and makes the refund after all
    # Real Stripe would also refuse a retry racing it (same idempotency key); localstripe
    # would not, so this test lets the late request land first.
    crashes.proxy.wait_for_forwarded(forwarded_before + 1)
    charge_id, _refunded = charge_of(crashes, email)
    let_the_claim_lapse(crashes, email)
    output = reconcile_once(crashes)
    refunds = refunds_in_stripe(crashes, charge_id)
    assert [r.amount for r in refunds] == [4655] and "succeeded" in output, output
    assert ledger_refund(crashes, email).stripe_id == refunds[0].id
    assert any(line.startswith(f"An update: your refund of {REFUND_TEXT} has now gone through")
               for line in assistant_lines(crashes, sender))
