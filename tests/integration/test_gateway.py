"""The Stripe gateway over HTTP against a real localstripe process.

What only real Stripe would show (the exact request of a credit) is checked at the wire: a
recording HTTP client captures the exact request stripe-python would send to Stripe.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
import stripe

from bot.billing.gateway import GatewayError, OverRefund, StripeGateway


@pytest.fixture
def customer(gateway):
    return gateway.ensure_customer("pat@example.com", "Pat", metadata={"mirror_id": "1"})


class RecordingClient(stripe.HTTPClient):
    """Answers every request with a canned body and keeps what was sent."""
    name = "recording"

    def __init__(self, body: dict, status: int = 200):
        super().__init__()
        self.body, self.status, self.requests = body, status, []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append({"method": method, "path": urlparse(url).path, "headers": dict(headers or {}),
                              "form": parse_qs(post_data or "")})
        return json.dumps(self.body), self.status, {}

    def close(self):
        pass


def test_customers_are_found_before_they_are_created(gateway, customer):
    again = gateway.ensure_customer("pat@example.com", "Pat", metadata={})
    assert again == customer
    assert len(gateway.client.customers.list(params={"email": "pat@example.com"}).data) == 1


def test_plans_are_created_once(gateway):
    first = gateway.ensure_plan("pro-4900-usd-month", 4900, "usd", "month", product_name="GroupTrack pro")
    second = gateway.ensure_plan("pro-4900-usd-month", 4900, "usd", "month", product_name="GroupTrack pro")
    assert first == second == "pro-4900-usd-month"


def test_payment_then_partial_refunds_up_to_the_amount(gateway, customer):
    charge = gateway.create_payment(customer, 4900, "usd", metadata={}, idempotency_key="pay-1")
    assert charge.startswith("ch_")
    assert gateway.create_payment(customer, 4900, "usd", metadata={}, idempotency_key="pay-1") == charge
    first = gateway.refund(charge, 1000, idempotency_key="r-1", metadata={})
    assert first["amount"] == 1000 and first["status"] == "succeeded"
    assert gateway.refund(charge, 1000, idempotency_key="r-1", metadata={})["id"] == first["id"]
    gateway.refund(charge, 3900, idempotency_key="r-2", metadata={})
    with pytest.raises(OverRefund):
        gateway.refund(charge, 1, idempotency_key="r-3", metadata={})
    refunds = gateway.client.refunds.list(params={"charge": charge}).data
    assert sorted(r.amount for r in refunds) == [1000, 3900]  # the refused one never reached Stripe
    assert gateway.find_refund(charge, "r-2")["amount"] == 3900
    assert gateway.find_refund(charge, "r-3") is None


def test_over_refund_is_refused_by_our_code_not_stripe(gateway, customer):
    charge = gateway.create_payment(customer, 1000, "usd", metadata={}, idempotency_key="pay-2")
    with pytest.raises(OverRefund) as err:
        gateway.refund(charge, 1001, idempotency_key="big", metadata={})
    assert not err.value.retryable
    assert gateway.client.refunds.list(params={"charge": charge}).data == []


def _subscription(gateway, customer, plan="pro-4900-usd-month"):
    gateway.ensure_plan(plan, 4900, "usd", "month", product_name="GroupTrack pro")
    return gateway.create_subscription(customer, plan, metadata={},
                                       trial_end=datetime.now(timezone.utc) + timedelta(days=20))


def test_cancel_at_period_end_keeps_the_subscription(gateway, customer):
    sub = _subscription(gateway, customer)
    assert sub["current_period_end"] is not None and sub["plan"] == "pro-4900-usd-month"
    ended = gateway.cancel_subscription(sub["id"], at_period_end=True, idempotency_key="c-1")
    assert ended["cancel_at_period_end"] is True and ended["status"] != "canceled"


def test_cancel_now_is_safe_to_retry(gateway, customer):
    sub = _subscription(gateway, customer)
    assert gateway.cancel_subscription(sub["id"], at_period_end=False, idempotency_key="c-2")["status"] == "canceled"
    assert gateway.cancel_subscription(sub["id"], at_period_end=False, idempotency_key="c-2")["status"] == "canceled"


def test_plan_change_preview_and_apply(gateway, customer):
    sub = _subscription(gateway, customer)
    gateway.ensure_plan("team-9900-usd-month", 9900, "usd", "month", product_name="GroupTrack team")
    quoted_at = datetime.now(timezone.utc)
    preview = gateway.preview_plan_change(sub["id"], "team-9900-usd-month", proration_date=quoted_at)
    assert preview["currency"] == "usd" and isinstance(preview["amount_due"], int) and preview["lines"]
    changed = gateway.change_plan(sub["id"], "team-9900-usd-month", proration_date=quoted_at, idempotency_key="plan-1")
    assert changed["plan"] == "team-9900-usd-month"
    again = gateway.change_plan(sub["id"], "team-9900-usd-month", proration_date=quoted_at, idempotency_key="plan-1")
    assert again["plan"] == changed["plan"]


class ListThenAnswer(RecordingClient):
    """An empty list for the lookup by key, then the canned body."""

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body, status, headers_out = super().request(method, url, headers, post_data, _usage=_usage)
        return (json.dumps({"object": "list", "data": [], "has_more": False}) if method == "get" else body,
                status, headers_out)


def test_a_credit_is_a_negative_invoice_item_on_the_wire():
    recorder = ListThenAnswer({"id": "ii_1", "object": "invoiceitem", "amount": -490, "currency": "usd"})
    gateway = StripeGateway("sk_test_wire", http_client=recorder)
    result = gateway.credit_next_invoice("cus_1", 490, "usd", description="R5 credit", idempotency_key="credit-1")
    assert result == {"id": "ii_1", "amount": -490, "currency": "usd"}
    looked, sent = recorder.requests
    assert (looked["method"], looked["path"]) == ("get", "/v1/invoiceitems")
    assert (sent["method"], sent["path"]) == ("post", "/v1/invoiceitems")
    assert {name: value for name, value in sent["form"].items() if name != "metadata[idempotency_key]"} == {
        "customer": ["cus_1"], "amount": ["-490"], "currency": ["usd"], "description": ["R5 credit"]}
    assert sent["form"]["metadata[idempotency_key]"] == ["credit-1"]
    assert sent["headers"]["Idempotency-Key"] == "credit-1"


def test_an_unreachable_stripe_is_retryable():
    down = StripeGateway("sk_test_down", api_base="http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(GatewayError) as err:
        down.refund("ch_x", 100, idempotency_key="k", metadata={})
    assert err.value.retryable


def test_a_server_error_is_retryable_and_a_bad_request_is_not():
    for status, retryable in ((503, True), (400, False)):
        recorder = RecordingClient({"error": {"message": "boom", "type": "api_error"}}, status=status)
        gateway = StripeGateway("sk_test_wire", http_client=recorder, max_network_retries=0)
        with pytest.raises(GatewayError) as err:
            gateway.refund("ch_x", 100, idempotency_key="k", metadata={})
        assert err.value.retryable is retryable


def test_an_idempotency_key_reused_with_other_parameters_is_final_not_retried():
    # Stripe's answer when a key comes back with different parameters: retrying with the
    # same key can only fail again, so the ledger must mark the movement failed.
    recorder = RecordingClient({"error": {"type": "idempotency_error", "message": "Keys for idempotent requests "
                                          "can only be used with the same parameters they were first used with."}},
                               status=400)
    gateway = StripeGateway("sk_test_wire", http_client=recorder, max_network_retries=0)
    with pytest.raises(GatewayError) as err:
        gateway.cancel_subscription("sub_x", at_period_end=True, idempotency_key="cancel-end-1")
    assert not err.value.retryable and "IdempotencyError" in str(err.value)
    assert len(recorder.requests) == 1
