"""Prometheus metrics: the database's decisions, money and cases; Stripe errors; access."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.billing.gateway import StripeGateway
from bot.metrics import exposition, scrape_allowed
from bot.runner import free_port
from bot.services import assess_refund, carry_out_refund
from tests.conftest import DEMO_NOW


def samples(engine=None) -> dict:
    body, content_type = exposition(engine)
    assert content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


def test_decisions_money_and_cases_come_from_the_database(live_engine, gateway):
    ana = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine)
    carry_out_refund(ana["decision_id"], email="ana@example.com", cancel_consent=True, now=DEMO_NOW,
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
