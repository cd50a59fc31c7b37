"""Stripe's webhook on the console: signatures, once-only events, order, and the backfill's neighbour:
localstripe's own signed deliveries (refunds in events: test_stripe_refund_events.py)."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from contextlib import contextmanager

import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.billing.mirror.follow import handle_event
from bot.db import models
from bot.db.session import unit_of_work
from bot.ops.processes import free_port
from bot.web.console.app import make_app

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


def repository_account(engine, email: str):
    from bot.db.repository import load_account
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
