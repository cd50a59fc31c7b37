"""Any replica serves any request (deploy/k8s): a second widget server and two more consoles,
real processes beside the stack's own on its database, as pods behind a Service would be.
A page's live stream on one process sees what a request to another did, and one Stripe
event delivered to two consoles at the same moment is applied once."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid

import pytest
import requests
import stripe
from sqlalchemy import func, select

from bot.db import models
from bot.db.session import make_engine, unit_of_work
from bot.ops.processes import BIN, Stack, free_port
from tests.support.console_client import Agent
from tests.support.e2e_stack import say

pytestmark = pytest.mark.e2e
WEBHOOK_SECRET = "whsec_any_replica_test"


@pytest.fixture(scope="module")
def replicas(live, tmp_path_factory):
    """A second widget server and two consoles that take Stripe's webhooks, on the stack's database."""
    stack = Stack(env={**live.env, "RASA_URL": live.urls["rasa"], "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
                  logs=tmp_path_factory.mktemp("replicas"))
    try:
        for name, command in (("widget-2", "widget"), ("console-a", "console"), ("console-b", "console")):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            stack.spawn(name, [str(BIN / "bot"), command, "--port", str(port)], url, f"{url}/health", timeout=60)
        yield stack
    finally:
        stack.stop()


def stream_lines(url: str, lines: list[str], stop: threading.Event, **headers) -> threading.Thread:
    """Read a server-sent event stream into `lines` until `stop` (or the stream ends)."""
    def read():
        with requests.get(url, headers=headers, stream=True, timeout=30) as response:
            assert response.status_code == 200, response.text
            for line in response.iter_lines(decode_unicode=True):
                lines.append(line)
                if stop.is_set():
                    return
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_the_widget_stream_on_one_server_shows_the_answer_to_a_message_sent_through_another(live, replicas):
    conversation, lines, stop = f"any-replica-{uuid.uuid4().hex[:12]}", [], threading.Event()
    reader = stream_lines(f"{replicas.urls['widget-2']}/api/events?conversation_id={conversation}", lines, stop)
    wait_for(lambda: any(line.startswith("data: ") for line in lines), 20, "no first state on the stream")
    request = urllib.request.Request(
        f"{live.urls['widget']}/api/messages", headers={"Content-Type": "application/json"},
        data=json.dumps({"conversation_id": conversation, "text": "how long is the free trial?"}).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    said = [reply["text"] for reply in answer["replies"] if reply.get("text")]
    assert said, answer

    def streamed_the_answer() -> bool:
        states = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
        return any(said[0] in [m["text"] for m in state["messages"]] for state in states)
    wait_for(streamed_the_answer, 20, f"the other widget server never streamed the answer: {lines[-3:]}")
    stop.set()
    reader.join(5)


def test_the_console_queue_on_one_replica_changes_with_a_case_opened_through_another_process(live, replicas):
    agent = Agent(replicas.urls["console-a"], "alice")
    assert agent.login_response.ok
    lines, stop = [], threading.Event()
    cookies = "; ".join(f"{c.name}={c.value}" for c in agent.http.cookies)  # the session lives in the database
    reader = stream_lines(f"{replicas.urls['console-b']}/events/queue", lines, stop, Cookie=cookies)
    wait_for(lambda: sum(line.startswith("data: ") for line in lines) >= 1, 20, "no first version from console-b")
    # A customer on the stack's own Rasa asks for a person: the action server (another process) opens a case.
    say(live, f"any-replica-case-{uuid.uuid4().hex[:8]}", "I want to talk to a human", None)
    wait_for(lambda: sum(line.startswith("data: ") for line in lines) >= 2, 20,
             f"console-b's queue stream never changed: {lines[-3:]}")
    stop.set()
    reader.join(5)


def signed(payload: bytes) -> str:
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload.decode()}", WEBHOOK_SECRET)
    return f"t={timestamp},v1={signature}"


def test_one_stripe_event_delivered_to_two_consoles_at_the_same_moment_is_applied_once(live, replicas):
    engine = make_engine(live.env["DATABASE_URL"])
    try:
        with unit_of_work(engine) as session:
            customer = session.execute(select(models.Customer).where(models.Customer.email == "ana@example.com")
                                       ).scalar_one()
            stripe_id = customer.stripe_id
        event_id = f"evt_any_replica_{uuid.uuid4().hex[:10]}"
        payload = json.dumps({"id": event_id, "type": "customer.updated", "created": int(time.time()), "data": {
            "object": {"id": stripe_id, "object": "customer", "email": "ana@example.com", "name": "Ana Lima"}}}
        ).encode()
        outcomes, ready = [], threading.Barrier(2)

        def deliver(console: str) -> None:
            ready.wait(10)
            answer = requests.post(f"{replicas.urls[console]}/stripe/webhook", data=payload, timeout=30,
                                   headers={"Stripe-Signature": signed(payload), "Content-Type": "application/json"})
            outcomes.append((answer.status_code, answer.json().get("outcome")))
        senders = [threading.Thread(target=deliver, args=(c,)) for c in ("console-a", "console-b")]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(60)
        assert sorted(outcomes, key=lambda o: o[1] == "duplicate") in (
            [(200, "applied"), (200, "duplicate")], [(200, "unchanged"), (200, "duplicate")]), outcomes
        with unit_of_work(engine) as session:
            assert session.execute(select(func.count()).select_from(models.StripeEvent).where(
                models.StripeEvent.event_id == event_id)).scalar() == 1
    finally:
        engine.dispose()
