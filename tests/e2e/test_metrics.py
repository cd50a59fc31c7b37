"""Prometheus metrics: the database's decisions, money and cases; Stripe errors; access."""
from __future__ import annotations

import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.app.refunds import assess_refund, carry_out_refund
from bot.billing.gateway import StripeGateway
from bot.observability.metrics import exposition, scrape_allowed
from bot.ops.processes import free_port
from tests.conftest import DEMO_NOW
from tests.e2e.test_email_e2e import inbound
from tests.e2e.test_slack_channel_e2e import event as slack_event
from tests.e2e.test_slack_channel_e2e import replies as slack_replies
from tests.support.consent import accepted_offer
from tests.support.e2e_stack import say


def samples(engine=None) -> dict:
    body, content_type = exposition(engine)
    assert content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


def test_decisions_money_and_cases_come_from_the_database(live_engine, gateway):
    ana = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    carry_out_refund(ana.decision_id, email="ana@example.com",
                     consent=accepted_offer(live_engine, "ana@example.com", decision_id=ana.decision_id), now=DEMO_NOW,
                     gateway=gateway, engine=live_engine)
    assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)  # R2: a case
    seen = samples(live_engine)
    assert seen[("grouptrack_decisions_total", (("outcome", "auto_refund"), ("rule", "R1")))] == 1
    assert seen[("grouptrack_decisions_total", (("outcome", "review_refund"), ("rule", "R2")))] == 1
    assert seen[("grouptrack_money_movements_total", (("kind", "refund"), ("status", "succeeded")))] == 1
    assert seen[("grouptrack_money_moved_minor_units_total", (("currency", "usd"), ("kind", "refund")))] == 4655
    assert seen[("grouptrack_cases", (("kind", "refund"), ("status", "open")))] == 1


def test_stripe_errors_are_counted_by_kind():
    def refused() -> float:
        return samples().get(("grouptrack_stripe_errors_total",
                              (("error", "APIConnectionError"), ("retryable", "true"))), 0)
    before = refused()
    down = StripeGateway("sk_test_local", api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    try:
        down.refund("ch_x", 100, idempotency_key="k", metadata={})
    except Exception:  # noqa: BLE001 - the error itself is what is counted
        pass
    assert refused() == before + 1


def test_only_this_machine_or_the_bearer_token_may_scrape(monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert scrape_allowed("127.0.0.1", None) and not scrape_allowed("203.0.113.9", None)
    monkeypatch.setenv("METRICS_TOKEN", "t0ken")
    assert scrape_allowed("203.0.113.9", "Bearer t0ken")
    assert not scrape_allowed("127.0.0.1", None) and not scrape_allowed("127.0.0.1", "Bearer wrong")


def test_a_request_relayed_by_a_local_proxy_is_not_this_machine(monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert not scrape_allowed("127.0.0.1", None, forwarded="203.0.113.9")
    monkeypatch.setenv("METRICS_TOKEN", "t0ken")
    assert scrape_allowed("127.0.0.1", "Bearer t0ken", forwarded="203.0.113.9")


def rasa_turns(live) -> dict:
    reply = requests.get(f"{live.urls['rasa']}/webhooks/metrics/", timeout=10)
    assert reply.status_code == 200, reply.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples
            if s.name.startswith("grouptrack_turn")}


@pytest.mark.e2e
def test_rasa_counts_and_times_turns_on_every_channel(live, slack):
    before = rasa_turns(live)

    def grew(name: str, labels: tuple, by: int = 1) -> bool:
        return rasa_turns(live).get((name, labels), 0) >= before.get((name, labels), 0) + by

    say(live, "metrics-rest", "hello", None)
    mailed = inbound(live, sender="metrics@example.com", subject="Question", body="What does the trial include?",
                     message_id=f"<{uuid.uuid4().hex}@example.com>")
    assert mailed.json()["answered"] == 1, mailed.text
    assert slack_event(live, f"Ev{uuid.uuid4().hex[:10]}", "U-METRICS", "hello").status_code == 200
    slack_replies(slack, "D-U-METRICS", 1)
    for channel in ("rest", "email", "slack"):
        assert grew("grouptrack_turns_total", (("channel", channel), ("result", "answered")))
        assert grew("grouptrack_turn_seconds_count", (("channel", channel),))

    relayed = requests.get(f"{live.urls['rasa']}/webhooks/metrics/", headers={"X-Forwarded-For": "203.0.113.9"},
                           timeout=10)
    assert relayed.status_code == 403
