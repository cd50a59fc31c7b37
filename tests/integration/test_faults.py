"""Faults on the money path, on real processes: Stripe down, Stripe silent past our timeout,
a lost Stripe reply, and a process SIGKILLed between the ledger and Stripe. Each ends in
exactly one refund, finished by reconciliation with the same idempotency key, and the
customer is told. (tests/e2e/test_action_server_crash.py kills the real action server.)"""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.refunds import assess_refund, carry_out_refund
from bot.billing.gateway import StripeGateway
from bot.billing.reconcile import reconcile, retry_wait
from bot.clock import now_utc
from bot.db import models
from bot.db.session import unit_of_work
from bot.ops.processes import free_port
from bot.settings import ROOT
from tests.conftest import DEMO_NOW
from tests.support.consent import accepted_offer
from tests.support.stripe_proxy import StripeProxy

EMAIL, CHARGE, CONVERSATION = "ana@example.com", "ch_ana_2", "ana-widget-1"


class RecordingChannels:
    def __init__(self):
        self.told = []

    def tell(self, *, channel, conversation_id, text, sender="support_agent"):
        self.told.append((channel, conversation_id, text))


def r1_decision(engine) -> int:
    decision = assess_refund(EMAIL, "late_cancellation", now=DEMO_NOW, engine=engine, channel="rest",
                             conversation_id=CONVERSATION)
    assert decision.rule == "R1" and decision.refund == 4655
    return decision.decision_id


def ledger(engine) -> dict:
    with unit_of_work(engine) as session:
        return {row.kind: (row.status, row.stripe_id) for row in session.execute(select(models.LedgerEntry)).scalars()}


def stripe_refunds(gateway, engine) -> list:
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == CHARGE)).scalar_one()
        stripe_id, refunded = charge.stripe_id, charge.refunded
    return [(r.id, r.amount) for r in gateway.client.refunds.list(params={"charge": stripe_id}).data], refunded


def later(minutes: float) -> object:
    return now_utc() + timedelta(minutes=minutes)


def test_retries_back_off_and_are_capped():
    assert [retry_wait(n).total_seconds() for n in (1, 2, 3, 4, 10, 50)] == [15, 30, 60, 120, 600, 600]


def test_while_stripe_is_down_the_refund_waits_and_a_retry_pays_it_once(live_engine, gateway):
    down = StripeGateway("sk_test_local", api_base=f"http://127.0.0.1:{free_port()}")  # nobody listens
    decision_id = r1_decision(live_engine)
    result = carry_out_refund(decision_id, email=EMAIL,
                              consent=accepted_offer(live_engine, EMAIL, decision_id=decision_id), now=DEMO_NOW,
                              gateway=down, engine=live_engine)
    assert result.status == "pending" and "Nothing has been paid or charged twice" in result.message
    assert ledger(live_engine) == {"cancel": ("pending", None), "refund": ("pending", None)}

    channels = RecordingChannels()
    assert reconcile(live_engine, down, now=later(0.1), notifier=channels) == []  # not due yet: backing off
    still_down = reconcile(live_engine, down, now=later(60), notifier=channels)
    assert [f.status for f in still_down] == ["pending"]  # the cancellation; its refund waits for it
    assert channels.told == [] and stripe_refunds(gateway, live_engine) == ([], 0)

    back = reconcile(live_engine, gateway, now=later(120), notifier=channels)
    assert [(f.kind, f.status) for f in back] == [("cancel", "succeeded"), ("refund", "succeeded")]
    refunds, refunded = stripe_refunds(gateway, live_engine)
    assert [amount for _id, amount in refunds] == [4655] and refunded == 4655
    assert ledger(live_engine)["refund"] == ("succeeded", refunds[0][0])
    assert ("rest", CONVERSATION, "An update: your refund of $46.55 has now gone through.") in channels.told
    assert reconcile(live_engine, gateway, now=later(240), notifier=channels) == []  # nothing left


@pytest.fixture
def stripe_proxy(localstripe):
    proxy = StripeProxy(localstripe)
    yield proxy
    proxy.close()


def test_a_lost_stripe_reply_is_found_again_not_paid_again(live_engine, gateway, stripe_proxy):
    stripe_proxy.hold_next_refund("after")
    stripe_proxy.release.set()  # no one to wait for: the reply is simply lost
    lossy = StripeGateway("sk_test_local", api_base=stripe_proxy.url)
    decision_id = r1_decision(live_engine)
    result = carry_out_refund(decision_id, email=EMAIL,
                              consent=accepted_offer(live_engine, EMAIL, decision_id=decision_id), now=DEMO_NOW,
                              gateway=lossy, engine=live_engine)
    assert result.status == "pending" and stripe_proxy.refunds_forwarded == 1
    assert len(stripe_refunds(gateway, live_engine)[0]) == 1  # made, though we were not told
    finished = reconcile(live_engine, lossy, now=later(60), notifier=RecordingChannels())
    refunds, refunded = stripe_refunds(gateway, live_engine)
    assert [f.status for f in finished] == ["succeeded"] and len(refunds) == 1 and refunded == 4655
    assert ledger(live_engine)["refund"] == ("succeeded", refunds[0][0])


def test_a_silent_stripe_times_out_plainly_and_its_late_refund_is_not_paid_again(
        live_engine, gateway, stripe_proxy):
    """Stripe says nothing past our timeout, then makes the refund after we gave up."""
    stripe_proxy.hold_next_refund("late")
    silent = StripeGateway("sk_test_local", api_base=stripe_proxy.url, timeout=1.0)
    started = time.monotonic()
    decision_id = r1_decision(live_engine)
    result = carry_out_refund(decision_id, email=EMAIL,
                              consent=accepted_offer(live_engine, EMAIL, decision_id=decision_id), now=DEMO_NOW,
                              gateway=silent, engine=live_engine)
    waited = time.monotonic() - started
    assert stripe_proxy.arrived.is_set() and waited < 10, waited  # not the library's 80 s
    assert result.status == "pending"
    assert "isn't answering right now" in result.message and "paid once" in result.message
    assert ledger(live_engine)["refund"][0] == "pending"
    assert "Timeout" in _ledger_error(live_engine) or "timed out" in _ledger_error(live_engine)

    stripe_proxy.release.set()  # Stripe wakes up and makes the refund nobody is waiting for
    stripe_proxy.wait_for_forwarded(1)
    assert len(stripe_refunds(gateway, live_engine)[0]) == 1

    channels = RecordingChannels()
    finished = reconcile(live_engine, silent, now=later(1), notifier=channels)
    refunds, refunded = stripe_refunds(gateway, live_engine)
    assert [(f.kind, f.status) for f in finished] == [("refund", "succeeded")]
    assert [amount for _id, amount in refunds] == [4655] and refunded == 4655
    assert ledger(live_engine)["refund"] == ("succeeded", refunds[0][0])
    assert [text for _ch, _conv, text in channels.told] == [
        "An update: your refund of $46.55 has now gone through."]


def _ledger_error(engine) -> str:
    with unit_of_work(engine) as session:
        return session.execute(select(models.LedgerEntry.error).where(
            models.LedgerEntry.kind == "refund")).scalar_one() or ""


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_process_killed_around_the_stripe_call_is_completed_once(live_engine, gateway, localstripe, db_url, when):
    decision_id = r1_decision(live_engine)
    yes = accepted_offer(live_engine, EMAIL, decision_id=decision_id)
    worker = subprocess.run([sys.executable, "-m", "tests.support.crash_worker", db_url, localstripe, str(decision_id),
                             EMAIL, when, DEMO_NOW.isoformat(), yes], cwd=ROOT, capture_output=True, timeout=120)
    assert worker.returncode == -9, worker.stderr.decode()[-2000:]
    assert ledger(live_engine)["refund"] == ("in_flight", None)
    assert len(stripe_refunds(gateway, live_engine)[0]) == (0 if when == "before" else 1)

    channels = RecordingChannels()
    assert reconcile(live_engine, gateway, now=later(1), notifier=channels) == []  # the claim's lease holds
    finished = reconcile(live_engine, gateway, now=later(6), notifier=channels)
    refunds, refunded = stripe_refunds(gateway, live_engine)
    assert [f.status for f in finished] == ["succeeded"]
    assert [amount for _id, amount in refunds] == [4655] and refunded == 4655
    assert ledger(live_engine)["refund"] == ("succeeded", refunds[0][0])
    assert [text for _ch, _conv, text in channels.told] == [
        "An update: your refund of $46.55 has now gone through."]
    again = carry_out_refund(decision_id, email=EMAIL,
                             consent=accepted_offer(live_engine, EMAIL,
                                                    decision_id=decision_id), now=DEMO_NOW, gateway=gateway,
                             engine=live_engine)
    assert again.status == "refunded" and again.refund_id == refunds[0][0]


def test_bot_reconcile_once_finishes_what_an_outage_left(live_engine, gateway, localstripe, db_url):
    down = StripeGateway("sk_test_local", api_base=f"http://127.0.0.1:{free_port()}")
    decision_id = r1_decision(live_engine)
    carry_out_refund(decision_id, email=EMAIL, consent=accepted_offer(live_engine, EMAIL, decision_id=decision_id),
                     now=DEMO_NOW,
                     gateway=down, engine=live_engine)
    with unit_of_work(live_engine) as session:  # as if the outage were a minute ago
        for row in session.execute(select(models.LedgerEntry)).scalars():
            row.updated_at = later(-1)
    env = {"DATABASE_URL": db_url, "STRIPE_API_BASE": localstripe, "STRIPE_API_KEY": "sk_test_local",
           "RASA_URL": f"http://127.0.0.1:{free_port()}", "PATH": str(ROOT / ".venv" / "bin")}
    done = subprocess.run([sys.executable, "-m", "bot", "reconcile", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    refunds, refunded = stripe_refunds(gateway, live_engine)
    assert f"refund-{CHARGE}-R1: succeeded ({refunds[0][0]})" in done.stdout and refunded == 4655
