"""The gateway's contract: what bot/ relies on from Stripe, checked on each backend.

Every test runs against localstripe and, when STRIPE_TEST_SECRET_KEY holds a test-mode
secret key, against real Stripe test mode. Where the two differ the test says so in a
dict of expectations keyed by backend: on localstripe it checks the gateway's covering
behaviour (docs/pitfalls.md, "localstripe 1.15.10"), on Stripe the real one. Names, plan ids
and idempotency keys carry a fresh run id, because Stripe keeps keys for 24 hours and
test-mode objects for ever.

    STRIPE_TEST_SECRET_KEY=sk_test_... .venv/bin/python -m pytest tests/integration/test_stripe_contract.py
"""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
import stripe

from bot.billing.gateway import KEY_FIELD, GatewayError, OverRefund, StripeGateway
from tests.integration.test_gateway import _subscription

pytestmark = pytest.mark.stripe_contract

LOCALSTRIPE, TEST_MODE = "localstripe", "stripe-test-mode"
TEST_KEY_VARIABLE = "STRIPE_TEST_SECRET_KEY"
NO_TEST_KEY = "set STRIPE_TEST_SECRET_KEY=sk_test_... to run the contract against Stripe test mode"
PRO_PRICE, TEAM_PRICE = 4900, 9900
# What a cancellation changes; a retry that acted a second time would move a timestamp.
CANCEL_STATE = ("status", "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at")
# Stripe's timestamps have one-second resolution: wait past it before a retry.
PAST_ONE_TICK = 1.1


def configured_test_key() -> str | None:
    """The configured test-mode key, None when unset; anything else stops the run."""
    key = os.environ.get(TEST_KEY_VARIABLE, "").strip()
    if not key:
        return None
    if not key.startswith("sk_test_"):
        # Never print the key itself: at most a prefix such as sk_live_ or rk_test_.
        prefix = key[:key.find("_", 3) + 1] if 0 < key.find("_", 3) < 8 else "something else"
        pytest.fail(f"{TEST_KEY_VARIABLE} starts with {prefix!r}, not 'sk_test_': refusing to run "
                    "the contract (it creates and refunds payments) against anything but Stripe "
                    "test mode", pytrace=False)
    return key


@dataclass
class Contract:
    backend: str
    gateway: StripeGateway
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    subscriptions: list[str] = field(default_factory=list)

    def expected(self, per_backend: dict):
        return per_backend[self.backend]

    def key(self, purpose: str) -> str:
        return f"contract-{self.run}-{purpose}"

    def email(self) -> str:
        return f"contract-{self.run}@example.com"

    def plan_id(self, name: str, amount: int) -> str:
        return f"contract-{name}-{amount}-usd-month-{self.run}"

    def plan(self, name: str, amount: int) -> str:
        return self.gateway.ensure_plan(self.plan_id(name, amount), amount, "usd", "month",
                                        product_name=f"GroupTrack {name} (contract {self.run})")

    def customer(self) -> str:
        return self.gateway.ensure_customer(self.email(), "Contract Customer",
                                            metadata={"contract_run": self.run})

    def subscribe(self, customer: str) -> dict:
        """A 20-day trial on a fresh pro plan, cancelled when the test ends."""
        sub = _subscription(self.gateway, customer, plan=self.plan_id("pro", PRO_PRICE))
        self.subscriptions.append(sub["id"])
        return sub

    def payment(self, customer: str, amount: int, purpose: str = "payment") -> str:
        return self.gateway.create_payment(customer, amount, "usd", metadata={"contract_run": self.run},
                                           idempotency_key=self.key(purpose))

    def raw_subscription(self, subscription_id: str) -> dict:
        return self.gateway.client.subscriptions.retrieve(subscription_id).to_dict()

    def refunds_of(self, charge: str) -> list[dict]:
        return [r.to_dict() for r in self.gateway.client.refunds.list(params={"charge": charge, "limit": 100}).data]

    def cancel_leftovers(self) -> None:
        """Test mode keeps what a test made; a live trial would go on to invoice."""
        for subscription_id in self.subscriptions:
            if self.raw_subscription(subscription_id)["status"] != "canceled":
                self.gateway.client.subscriptions.cancel(subscription_id)


@pytest.fixture(params=[LOCALSTRIPE, TEST_MODE])
def contract(request):
    if request.param == LOCALSTRIPE:
        yield Contract(LOCALSTRIPE, request.getfixturevalue("gateway"))
        return
    key = configured_test_key()
    if key is None:
        pytest.skip(NO_TEST_KEY)
    made = Contract(TEST_MODE, StripeGateway(key, api_base=None))
    try:
        yield made
    finally:
        made.cancel_leftovers()


def cancel_state(contract: Contract, subscription_id: str) -> dict:
    raw = contract.raw_subscription(subscription_id)
    return {name: raw.get(name) for name in CANCEL_STATE}


# 1 ------------------------------------------------------------------------------------

def test_customer_plan_and_trial_subscription_have_the_normalised_shape(contract):
    gateway = contract.gateway
    customer = contract.customer()
    assert gateway.ensure_customer(contract.email(), "Another Name", metadata={}) == customer
    listed = gateway.client.customers.list(params={"email": contract.email()}).data
    assert [c.id for c in listed] == [customer]

    plan = contract.plan("pro", PRO_PRICE)
    assert contract.plan("pro", PRO_PRICE) == plan
    stored_plan = gateway.client.plans.retrieve(plan)
    assert (stored_plan.amount, stored_plan.currency, stored_plan.interval) == (PRO_PRICE, "usd", "month")

    trial_end = (datetime.now(timezone.utc) + timedelta(days=20)).replace(microsecond=0)
    sub = gateway.create_subscription(customer, plan, trial_end=trial_end,
                                      metadata={"contract_run": contract.run})
    contract.subscriptions.append(sub["id"])

    assert set(sub) == {"id", "status", "item_id", "customer", "plan", "cancel_at_period_end",
                        "current_period_start", "current_period_end", "trial_end"}
    assert sub["trial_end"] == trial_end  # both keep it; localstripe bills as if there were none
    assert sub["id"].startswith("sub_") and sub["item_id"].startswith("si_")
    assert (sub["customer"], sub["plan"], sub["cancel_at_period_end"]) == (customer, plan, False)
    start, end = sub["current_period_start"], sub["current_period_end"]
    for moment in (start, end):
        assert isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)
    assert start < end

    # localstripe ignores the trial: no invoice, so the subscription stays `incomplete`,
    # and the period is one plan interval. Stripe makes the trial the current period.
    assert sub["status"] == contract.expected({LOCALSTRIPE: "incomplete", TEST_MODE: "trialing"})
    if contract.expected({LOCALSTRIPE: False, TEST_MODE: True}):
        assert end == trial_end
    else:
        assert timedelta(days=28) <= end - start <= timedelta(days=31)

    # Why `_subscription` normalises: the period sits on the subscription in the old API
    # (localstripe) and only on its items in the version stripe-python sends.
    raw = contract.raw_subscription(sub["id"])
    item = raw["items"]["data"][0]
    periods_on = contract.expected({LOCALSTRIPE: "subscription", TEST_MODE: "item"})
    assert (raw.get("current_period_end") is not None) is (periods_on == "subscription")
    assert (item.get("current_period_end") is not None) is (periods_on == "item")


# 2 ------------------------------------------------------------------------------------

def test_payment_and_refund_are_made_once_per_key(contract):
    gateway = contract.gateway
    customer = contract.customer()
    charge = contract.payment(customer, PRO_PRICE)
    assert charge.startswith("ch_")
    assert contract.payment(customer, PRO_PRICE) == charge
    assert [c.id for c in gateway.client.charges.list(params={"customer": customer}).data] == [charge]

    key = contract.key("refund")
    first = gateway.refund(charge, 1000, idempotency_key=key, metadata={"contract_run": contract.run})
    assert (first["amount"], first["charge"]) == (1000, charge) and first["id"].startswith("re_")
    # Card refunds in test mode normally succeed at once; Stripe may still report pending.
    assert first["status"] in contract.expected({LOCALSTRIPE: {"succeeded"}, TEST_MODE: {"succeeded", "pending"}})
    again = gateway.refund(charge, 1000, idempotency_key=key, metadata={"contract_run": contract.run})
    assert again["id"] == first["id"]
    assert [r["id"] for r in contract.refunds_of(charge)] == [first["id"]]
    assert gateway.client.charges.retrieve(charge).amount_refunded == 1000

    # If the metadata lookup ever missed (a reply lost, then a retry), only Stripe's own
    # key handling would stop a second refund: the gateway must have sent this exact request.
    replay = gateway.client.refunds.create(params={
        "charge": charge, "amount": 1000, "metadata": {"contract_run": contract.run, KEY_FIELD: key}},
        options={"idempotency_key": key})
    replays_the_first = contract.expected({LOCALSTRIPE: False, TEST_MODE: True})  # localstripe ignores keys
    assert (replay.id == first["id"]) is replays_the_first


# 3 ------------------------------------------------------------------------------------

def test_over_refund_is_refused_by_the_gateway_before_stripe(contract):
    gateway = contract.gateway
    charge = contract.payment(contract.customer(), 1000)
    gateway.refund(charge, 600, idempotency_key=contract.key("refund-600"), metadata={})
    with pytest.raises(OverRefund) as refused:
        gateway.refund(charge, 401, idempotency_key=contract.key("refund-401"), metadata={})
    assert not refused.value.retryable and "(400)" in str(refused.value)
    assert [r["amount"] for r in contract.refunds_of(charge)] == [600]
    assert gateway.find_refund(charge, contract.key("refund-401")) is None


def test_stripe_itself_refuses_an_over_refund(contract):
    if contract.backend == LOCALSTRIPE:
        pytest.skip("localstripe has no over-refund check (docs/pitfalls.md): there the gateway's own "
                    "check is the only guard, tested above")
    gateway = contract.gateway
    charge = contract.payment(contract.customer(), 1000)
    gateway.refund(charge, 600, idempotency_key=contract.key("refund-600"), metadata={})
    with pytest.raises(stripe.InvalidRequestError):
        gateway.client.refunds.create(params={"charge": charge, "amount": 401},
                                      options={"idempotency_key": contract.key("bypass-401")})
    assert gateway.client.charges.retrieve(charge).amount_refunded == 600


# 4 ------------------------------------------------------------------------------------

def test_partial_refunds_add_up_and_are_found_by_key(contract):
    gateway = contract.gateway
    charge = contract.payment(contract.customer(), PRO_PRICE)
    parts = {contract.key("part-1"): 1000, contract.key("part-2"): 1500, contract.key("part-3"): 2400}
    made = {key: gateway.refund(charge, amount, idempotency_key=key, metadata={})
            for key, amount in parts.items()}

    assert sum(r["amount"] for r in contract.refunds_of(charge)) == PRO_PRICE
    stored = gateway.client.charges.retrieve(charge)
    assert (stored.amount_refunded, stored.refunded) == (PRO_PRICE, True)
    for key, amount in parts.items():
        found = gateway.find_refund(charge, key)
        assert (found["id"], found["amount"], found["charge"]) == (made[key]["id"], amount, charge)
    assert gateway.find_refund(charge, contract.key("never-made")) is None
    with pytest.raises(OverRefund):
        gateway.refund(charge, 1, idempotency_key=contract.key("part-4"), metadata={})


# 5 ------------------------------------------------------------------------------------

def test_cancel_at_period_end_retried_changes_the_subscription_once(contract):
    gateway = contract.gateway
    sub = contract.subscribe(contract.customer())
    key = contract.key("cancel-at-end")
    first = gateway.cancel_subscription(sub["id"], at_period_end=True, idempotency_key=key)
    assert first["cancel_at_period_end"] is True
    assert first["status"] == contract.expected({LOCALSTRIPE: "incomplete", TEST_MODE: "trialing"})
    after_first = cancel_state(contract, sub["id"])
    # Stripe stamps `canceled_at` at each cancel_at_period_end update: a second update
    # (a retry Stripe did not recognise) would move it. localstripe never sets it.
    assert (after_first["canceled_at"] is not None) is contract.expected({LOCALSTRIPE: False, TEST_MODE: True})

    time.sleep(PAST_ONE_TICK)
    assert gateway.cancel_subscription(sub["id"], at_period_end=True, idempotency_key=key) == first
    assert cancel_state(contract, sub["id"]) == after_first


def test_cancel_now_retried_changes_the_subscription_once(contract):
    gateway = contract.gateway
    sub = contract.subscribe(contract.customer())
    key = contract.key("cancel-now")
    first = gateway.cancel_subscription(sub["id"], at_period_end=False, idempotency_key=key)
    assert first["status"] == "canceled" and first["id"] == sub["id"]
    after_first = cancel_state(contract, sub["id"])
    assert after_first["ended_at"] is not None

    time.sleep(PAST_ONE_TICK)
    assert gateway.cancel_subscription(sub["id"], at_period_end=False, idempotency_key=key) == first
    # A later request with its own key finds the subscription already canceled; Stripe
    # would refuse a second cancel, so the gateway must not send one.
    assert gateway.cancel_subscription(sub["id"], at_period_end=False,
                                       idempotency_key=contract.key("cancel-now-again")) == first
    assert cancel_state(contract, sub["id"]) == after_first


# 6 ------------------------------------------------------------------------------------

def test_a_credit_comes_off_the_next_invoice_once(contract):
    """A negative invoice item (localstripe has no customer balance), found again by its key on both."""
    gateway, customer, key = contract.gateway, contract.customer(), contract.key("credit")
    contract.plan("pro", PRO_PRICE)
    sub = contract.subscribe(customer)
    credit = gateway.credit_next_invoice(customer, 490, "usd", description="contract credit", idempotency_key=key)
    assert credit["id"].startswith("ii_") and (credit["amount"], credit["currency"]) == (-490, "usd")
    assert gateway.credit_next_invoice(customer, 490, "usd", description="contract credit",
                                       idempotency_key=key) == credit
    items = gateway.client.invoice_items.list(params={"customer": customer}).data
    assert [(item.id, item.amount) for item in items] == [(credit["id"], -490)]

    upcoming = gateway.next_invoice(sub["id"])
    assert {"amount": -490, "description": "contract credit", "proration": False} in upcoming["lines"]
    assert (upcoming["amount_due"], upcoming["currency"]) == (PRO_PRICE - 490, "usd")
    # Looking changes nothing: a plain preview on localstripe would have taken the item away.
    assert gateway.next_invoice(sub["id"]) == upcoming
    with pytest.raises(GatewayError, match="positive"):
        gateway.credit_next_invoice(customer, 0, "usd", description="nothing", idempotency_key=contract.key("zero"))


# 7 ------------------------------------------------------------------------------------

def test_plan_change_preview_and_apply_once(contract):
    gateway = contract.gateway
    sub = contract.subscribe(contract.customer())
    team = contract.plan("team", TEAM_PRICE)

    quoted_at = datetime.now(timezone.utc)
    preview = gateway.preview_plan_change(sub["id"], team, proration_date=quoted_at)
    assert isinstance(preview["amount_due"], int) and preview["amount_due"] >= 0
    assert preview["currency"] == "usd" and preview["lines"]
    assert all(isinstance(line["amount"], int) for line in preview["lines"])
    assert gateway.subscription(sub["id"])["plan"] == sub["plan"]  # a preview changes nothing

    key = contract.key("plan-change")
    changed = gateway.change_plan(sub["id"], team, proration_date=quoted_at, idempotency_key=key)
    assert (changed["id"], changed["plan"]) == (sub["id"], team)
    # localstripe replaces the subscription item on a plan change; Stripe updates it in place.
    keeps_item = contract.expected({LOCALSTRIPE: False, TEST_MODE: True})
    assert (changed["item_id"] == sub["item_id"]) is keeps_item

    items_after_change = contract.raw_subscription(sub["id"])["items"]["data"]
    assert gateway.change_plan(sub["id"], team, proration_date=quoted_at, idempotency_key=key) == changed
    items_after_retry = contract.raw_subscription(sub["id"])["items"]["data"]
    assert [(i["id"], i["plan"]["id"]) for i in items_after_retry] == \
        [(i["id"], i["plan"]["id"]) for i in items_after_change] == [(changed["item_id"], team)]


# 8 ------------------------------------------------------------------------------------

def test_reusing_a_key_with_other_parameters_is_a_final_error(contract):
    if contract.backend == LOCALSTRIPE:
        pytest.skip("localstripe ignores idempotency keys, so reusing one with other parameters "
                    "is not an error there")
    gateway = contract.gateway
    customer = contract.customer()
    first_charge = contract.payment(customer, 1000, "payment-1")
    second_charge = contract.payment(customer, 2000, "payment-2")
    key = contract.key("refund-shared-key")
    gateway.refund(first_charge, 500, idempotency_key=key, metadata={})

    with pytest.raises(GatewayError) as reused:
        gateway.refund(second_charge, 700, idempotency_key=key, metadata={})
    assert isinstance(reused.value.__cause__, stripe.IdempotencyError)
    assert reused.value.retryable is False  # retrying the same key can never succeed
    assert "IdempotencyError" in str(reused.value)
    assert contract.refunds_of(second_charge) == []
