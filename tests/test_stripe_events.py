"""Stripe's webhook on the console: signatures, once-only events, order, and the bot's own refunds."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.billing import movements
from bot.billing.reconcile import reconcile
from bot.console.app import make_app
from bot.db import models
from bot.db.session import unit_of_work
from bot.runner import free_port
from bot.services import assess_refund, carry_out_refund
from bot.stripe_events import handle_event
from tests.conftest import DEMO_NOW

SECRET = "whsec_test_following_stripe"
T0 = 1_795_000_000  # an event time; only the order of times matters to the mirror


def sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def event(kind: str, obj: dict, created: int = T0, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind,
            "created": created, "data": {"object": obj}}


def post(engine, deliveries):
    """POST each (body, headers) to the console's webhook; [(status, json)]."""
    async def run():
        client = TestClient(TestServer(make_app(engine=engine)))
        await client.start_server()
        try:
            results = []
            for body, headers in deliveries:
                response = await client.post("/stripe/webhook", data=body, headers=headers)
                results.append((response.status, await response.json()))
            return results
        finally:
            await client.close()
    return asyncio.run(run())


def scalar(engine, query):
    with unit_of_work(engine) as session:
        return session.execute(query).scalar_one()


def link(engine, email: str, customer_id: str, subscription_id: str | None = None) -> None:
    with unit_of_work(engine) as session:
        customer = session.execute(select(models.Customer).where(models.Customer.email == email)).scalar_one()
        customer.stripe_id = customer_id
        if subscription_id:
            customer.subscription.stripe_id = subscription_id


def subscription_obj(sub_id: str, customer: str, *, cancel: bool, status: str = "active") -> dict:
    return {"id": sub_id, "object": "subscription", "customer": customer, "status": status,
            "cancel_at_period_end": cancel, "canceled_at": T0 if cancel else None, "trial_end": None,
            "current_period_start": T0 - 86400, "current_period_end": T0 + 29 * 86400,
            "items": {"data": [{"plan": {"id": "pro-monthly-4900-usd-month", "amount": 4900,
                                         "currency": "usd", "interval": "month"}}]}}


def test_only_a_fresh_event_signed_with_the_secret_is_accepted(seeded_engine, monkeypatch):
    customer = {"id": "cus_new1", "object": "customer", "email": "New@Example.com", "name": "New", "created": T0}
    body = json.dumps(event("customer.created", customer)).encode()
    json_header = {"Content-Type": "application/json"}
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    [(unset, unset_body)] = post(seeded_engine, [(body, {**json_header, "Stripe-Signature": sign(body)})])
    assert unset == 400 and "not configured" in unset_body["error"]
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    refused = post(seeded_engine, [
        (body, {**json_header, "Stripe-Signature": sign(body, secret="whsec_forged")}),
        (body, {**json_header, "Stripe-Signature": sign(body, at=int(time.time()) - 301)}),
        (body, json_header),
        (body.replace(b"New", b"Mallory"), {**json_header, "Stripe-Signature": sign(body)}),
    ])
    assert [status for status, _ in refused] == [400, 400, 400, 400]
    assert all(set(answer) == {"error"} and "Traceback" not in answer["error"] for _, answer in refused)
    assert scalar(seeded_engine, select(func.count(models.StripeEvent.id))) == 0
    [(status, answer)] = post(seeded_engine, [(body, {**json_header, "Stripe-Signature": sign(body)})])
    assert (status, answer["outcome"]) == (200, "applied")
    assert scalar(seeded_engine, select(models.Customer.stripe_id).where(
        models.Customer.email == "new@example.com")) == "cus_new1"


def test_the_same_event_twice_applies_once(seeded_engine, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    link(seeded_engine, "ana@example.com", "cus_ana")
    charge = {"id": "ch_renewal", "object": "charge", "customer": "cus_ana", "amount": 4900, "currency": "usd",
              "status": "succeeded", "amount_refunded": 0, "created": T0}
    body = json.dumps(event("charge.succeeded", charge, event_id="evt_once")).encode()
    answers = post(seeded_engine, [(body, {"Stripe-Signature": sign(body)})] * 2)
    assert [(status, answer["outcome"]) for status, answer in answers] == [(200, "applied"), (200, "duplicate")]
    assert scalar(seeded_engine, select(func.count(models.Charge.id)).where(
        models.Charge.stripe_id == "ch_renewal")) == 1
    assert scalar(seeded_engine, select(func.count(models.StripeEvent.id))) == 1


def test_an_older_event_after_a_newer_one_changes_nothing(seeded_engine):
    link(seeded_engine, "ana@example.com", "cus_ana", "sub_ana")
    newer = event("customer.subscription.updated", subscription_obj("sub_ana", "cus_ana", cancel=True), T0 + 60)
    older = event("customer.subscription.updated", subscription_obj("sub_ana", "cus_ana", cancel=False), T0)
    assert handle_event(newer, engine=seeded_engine) == "applied"
    assert handle_event(older, engine=seeded_engine) == "unchanged"
    assert scalar(seeded_engine, select(models.Subscription.cancel_at_period_end).where(
        models.Subscription.stripe_id == "sub_ana")) is True
    # A deleted subscription stays deleted, even against an update stamped the same second.
    gone = event("customer.subscription.deleted",
                 subscription_obj("sub_ana", "cus_ana", cancel=True, status="canceled"), T0 + 120)
    late = event("customer.subscription.updated", subscription_obj("sub_ana", "cus_ana", cancel=True), T0 + 120)
    handle_event(gone, engine=seeded_engine), handle_event(late, engine=seeded_engine)
    assert scalar(seeded_engine, select(models.Subscription.status).where(
        models.Subscription.stripe_id == "sub_ana")) == "canceled"
    # The customer's name, and a charge's refunded amount, which only ever grows.
    handle_event(event("customer.updated", {"id": "cus_ana", "email": "ana@example.com", "name": "Ana L."},
                       T0 + 60), engine=seeded_engine)
    handle_event(event("customer.updated", {"id": "cus_ana", "email": "ana@example.com", "name": "Ana Lima"},
                       T0), engine=seeded_engine)
    assert scalar(seeded_engine, select(models.Customer.name).where(models.Customer.stripe_id == "cus_ana")) == "Ana L."
    charge = {"id": "ch_x", "object": "charge", "customer": "cus_ana", "amount": 4900, "currency": "usd",
              "status": "succeeded", "created": T0}
    handle_event(event("charge.refunded", {**charge, "amount_refunded": 2000}, T0 + 60), engine=seeded_engine)
    handle_event(event("charge.succeeded", {**charge, "amount_refunded": 0}, T0), engine=seeded_engine)
    assert scalar(seeded_engine, select(models.Charge.refunded).where(models.Charge.stripe_id == "ch_x")) == 2000


def test_an_unknown_event_type_is_acknowledged_and_ignored(seeded_engine, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    before = scalar(seeded_engine, select(func.count(models.Customer.id)))
    body = json.dumps(event("payout.created", {"id": "po_1", "object": "payout", "amount": 100})).encode()
    [(status, answer)] = post(seeded_engine, [(body, {"Stripe-Signature": sign(body)})])
    assert (status, answer["outcome"]) == (200, "ignored")
    assert scalar(seeded_engine, select(func.count(models.Customer.id))) == before
    # Events for objects the mirror does not know are acknowledged and change nothing either.
    stranger = {"id": "ch_stranger", "customer": "cus_nobody", "amount": 100, "currency": "usd",
                "status": "succeeded", "amount_refunded": 0, "created": T0}
    assert handle_event(event("charge.succeeded", stranger), engine=seeded_engine) == "unchanged"


def _stripe_charge_of(engine, external_id: str) -> models.Charge:
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == external_id)).scalar_one()
        session.expunge(charge)
    return charge


def _refund_events(gateway, charge_stripe_id: str) -> list[dict]:
    charge = gateway.client.charges.retrieve(charge_stripe_id).to_dict()
    refunds = gateway.client.refunds.list(params={"charge": charge_stripe_id}).to_dict()["data"]
    later = int(time.time()) + 5  # after every change the mirror has, like a real delivery
    return [event("refund.created", refund, later) for refund in refunds] + [event("charge.refunded", charge, later)]


def _mirror_refunds(engine, charge: models.Charge) -> tuple[int, int]:
    refunded = scalar(engine, select(models.Charge.refunded).where(models.Charge.id == charge.id))
    rows = scalar(engine, select(func.count(models.Refund.id)).where(models.Refund.charge_ref == charge.external_id))
    return refunded, rows


def test_the_webhook_of_a_refund_the_bot_made_is_not_counted_twice(live_engine, gateway):
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    with unit_of_work(live_engine) as session:
        entry = movements.record_refund(session, charge=charge, amount=4655, rule="R1", decision_id=None)
        key = entry.idempotency_key
    assert movements.execute(live_engine, gateway, key).status == "succeeded"
    assert _mirror_refunds(live_engine, charge) == (4655, 1)
    for delivered in _refund_events(gateway, charge.stripe_id):
        handle_event(delivered, engine=live_engine)
    assert _mirror_refunds(live_engine, charge) == (4655, 1)


def test_a_bot_refund_whose_webhook_comes_before_the_ledger_finishes_counts_once(live_engine, gateway):
    # Stripe refunded, but the reply was lost: the ledger row is still pending when the events come.
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    with unit_of_work(live_engine) as session:
        key = movements.record_refund(session, charge=charge, amount=4655, rule="R1",
                                      decision_id=None).idempotency_key
    gateway.refund(charge.stripe_id, 4655, idempotency_key=key, metadata={})
    for delivered in _refund_events(gateway, charge.stripe_id):
        handle_event(delivered, engine=live_engine)
    assert _mirror_refunds(live_engine, charge) == (0, 0)
    assert movements.execute(live_engine, gateway, key).status == "succeeded"  # finds Stripe's refund by key
    assert _mirror_refunds(live_engine, charge) == (4655, 1)
    assert len(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data) == 1


def test_a_refund_made_outside_the_bot_is_mirrored(live_engine, gateway):
    charge = _stripe_charge_of(live_engine, "ch_dan_1")
    gateway.client.refunds.create(params={"charge": charge.stripe_id, "amount": 500})
    for delivered in _refund_events(gateway, charge.stripe_id):
        assert handle_event(delivered, engine=live_engine) == "applied"
    assert _mirror_refunds(live_engine, charge) == (500, 1)
    assert scalar(live_engine, select(models.Refund.origin).where(
        models.Refund.charge_ref == "ch_dan_1")) == "stripe"


def _returned(refund: dict, status: str = "failed", at: int | None = None) -> dict:
    """Stripe's event for a refund it accepted and later failed (the card was closed)."""
    return event("refund.updated", {**refund, "status": status, "failure_reason": "expired_or_canceled_card"},
                 at or int(time.time()) + 10)


def test_a_bot_refund_that_fails_later_lowers_the_mirror_once_and_goes_to_people(live_engine, gateway):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine,
                             channel="rest", conversation_id="ana-returned")
    paid = carry_out_refund(decision["decision_id"], email="ana@example.com", cancel_consent=True, now=DEMO_NOW,
                            gateway=gateway, engine=live_engine)
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    refund = gateway.client.refunds.retrieve(paid["refund_id"]).to_dict()
    before_failure = gateway.client.charges.retrieve(charge.stripe_id).to_dict()  # amount_refunded 4655

    failed_at, conversations = int(time.time()) + 10, Conversations()
    assert handle_event(_returned(refund, at=failed_at), engine=live_engine, notifier=conversations) == "applied"
    assert handle_event(_returned(refund, at=failed_at + 1), engine=live_engine,
                        notifier=conversations) == "unchanged"  # a repeat
    assert handle_event(_returned(refund, "canceled", failed_at + 2), engine=live_engine) == "unchanged"
    [told] = conversations.told  # once, in the conversation the refund was promised in
    assert told["conversation_id"] == "ana-returned" and "bank sent it back" in told["text"]
    # A charge state from before the failure, delivered late, must not bring the refund back.
    assert handle_event(event("charge.refunded", before_failure, failed_at - 5), engine=live_engine) == "unchanged"
    assert _mirror_refunds(live_engine, charge) == (0, 1)
    assert scalar(live_engine, select(models.Refund.status).where(models.Refund.stripe_id == refund["id"])) == "failed"
    with unit_of_work(live_engine) as session:
        entry = session.execute(select(models.LedgerEntry).where(models.LedgerEntry.kind == "refund")).scalar_one()
        assert entry.status == "reversed" and "failed after making it" in entry.error
        [case] = session.execute(select(models.ReviewCase)).scalars().all()
        assert (case.kind, case.reason, case.conversation_id) == ("ticket", f"refund_failed:{refund['id']}",
                                                                  "ana-returned")
        assert "46.55 USD" in case.customer_note

    # The rules see no refund on that charge any more; the bot does not pay it again on its own.
    assert repository_account(live_engine, "ana@example.com").refunds == ()
    again = carry_out_refund(decision["decision_id"], email="ana@example.com", cancel_consent=True, now=DEMO_NOW,
                             gateway=gateway, engine=live_engine)
    assert again["status"] == "reversed" and "sent it back" in again["message"]
    assert len(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data) == 1


class BankSendsRefundsBack:
    """Stripe as it answers once the bank has returned a refund: the same refund, now failed."""

    def __init__(self, gateway):
        self.gateway = gateway

    def refund(self, *args, **kwargs):
        return {**self.gateway.refund(*args, **kwargs), "status": "failed",
                "failure_reason": "expired_or_canceled_card"}


class Conversations:
    def __init__(self):
        self.told = []

    def tell(self, **message):
        self.told.append(message)


def test_a_refund_that_failed_before_the_ledger_heard_back_is_never_recorded_as_paid(live_engine, gateway,
                                                                                    monkeypatch):
    announced = []
    monkeypatch.setattr("bot.slack_cases.announce", announced.append)
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW, engine=live_engine,
                             channel="rest", conversation_id="ana-lost-reply")
    charge = _stripe_charge_of(live_engine, "ch_ana_2")
    with unit_of_work(live_engine) as session:
        key = movements.record_refund(session, charge=charge, amount=4655, rule="R1",
                                      decision_id=decision["decision_id"]).idempotency_key
    # The action server died after Stripe made the refund; then the bank sent it back.
    refund = gateway.refund(charge.stripe_id, 4655, idempotency_key=key, metadata={})
    assert handle_event(_returned(refund), engine=live_engine) == "unchanged"  # the ledger's, still unfinished

    conversations = Conversations()
    [done] = reconcile(live_engine, BankSendsRefundsBack(gateway), now=movements.now_utc() + timedelta(hours=1),
                       notifier=conversations)
    assert (done.status, done.stripe_id, done.customer_told) == ("reversed", refund["id"], True)
    assert _mirror_refunds(live_engine, charge) == (0, 1)  # recorded, as failed: counted by nothing
    assert repository_account(live_engine, "ana@example.com").refunds == ()
    [told] = conversations.told
    assert told["conversation_id"] == "ana-lost-reply" and "bank sent it back" in told["text"]
    with unit_of_work(live_engine) as session:
        [case] = session.execute(select(models.ReviewCase)).scalars().all()
        assert (case.kind, case.reason) == ("ticket", f"refund_failed:{refund['id']}")
    assert [a["id"] for a in announced] == [case.id]  # the support channel hears of it, once
    assert handle_event(_returned(refund, at=int(time.time()) + 60), engine=live_engine) == "unchanged"
    assert _mirror_refunds(live_engine, charge) == (0, 1) and len(announced) == 1


def test_a_refund_made_outside_the_bot_that_fails_later_lowers_the_mirror(live_engine, gateway):
    charge = _stripe_charge_of(live_engine, "ch_dan_1")
    refund = gateway.client.refunds.create(params={"charge": charge.stripe_id, "amount": 500}).to_dict()
    for delivered in _refund_events(gateway, charge.stripe_id):
        handle_event(delivered, engine=live_engine)
    assert _mirror_refunds(live_engine, charge) == (500, 1)
    assert handle_event(_returned(refund), engine=live_engine) == "applied"
    assert _mirror_refunds(live_engine, charge) == (0, 1)
    assert scalar(live_engine, select(func.count(models.ReviewCase.id))) == 0  # not the bot's money to chase


def repository_account(engine, email: str):
    from bot.repository import load_account
    with unit_of_work(engine) as session:
        return load_account(session, email)


@contextmanager
def console_on_a_port(engine):
    """The console app served from a thread, so localstripe can reach it over HTTP."""
    loop, runner, port = asyncio.new_event_loop(), web.AppRunner(make_app(engine=engine)), free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_localstripe_signed_webhooks_reach_the_console_and_are_applied(engine, gateway, localstripe, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    with console_on_a_port(engine) as console:
        configured = requests.post(f"{localstripe}/_config/webhooks/console", timeout=10, data={
            "url": f"{console}/stripe/webhook", "secret": SECRET})
        assert configured.status_code == 200, configured.text
        customer_id = gateway.ensure_customer("webhook@example.com", "Wanda", metadata={})
        deadline = time.monotonic() + 15  # localstripe waits a second before it sends
        while time.monotonic() < deadline:
            with unit_of_work(engine) as session:
                row = session.execute(select(models.Customer).where(
                    models.Customer.stripe_id == customer_id)).scalar_one_or_none()
                seen = session.execute(select(models.StripeEvent.type)).scalars().all()
            if row is not None:
                break
            time.sleep(0.2)
    assert row is not None and (row.email, row.name) == ("webhook@example.com", "Wanda")
    assert "customer.created" in seen
