"""The production shape, for real: two Rasa servers and two action servers behind nginx,
PostgreSQL tracker store and app database, a Redis lock store, RabbitMQ events.

Money must stay right even when Rasa's lock store does not hold (pitfalls: two replicas
can run one conversation at once), and the servers must come back by themselves after
Redis or PostgreSQL went away."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.db.session import make_engine, unit_of_work
from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port, wait_for_http
from bot.ops.production import start_topology
from bot.ops.runner import seed, stack_environment, start_localstripe
from bot.settings import Services
from tests.conftest import DEMO_SEED, POSTGRES_ADMIN_URL
from tests.support.e2e_stack import SECRET, print_server_logs, redis_server, say, socket_say, stripe_refunds, texts

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    if not shutil.which("redis-server") or not Path("/usr/sbin/nginx").exists():
        message = "the replica test needs redis-server and nginx (apt-get install redis-server nginx-light)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("prod")
    tag = uuid.uuid4().hex[:10]
    services = Services(postgres_url=POSTGRES_ADMIN_URL.rsplit("/", 1)[0], app_database=f"gt_app_{tag}",
                        tracker_database=f"gt_tracker_{tag}", redis_host="127.0.0.1", redis_port=free_port(),
                        rabbitmq_host="127.0.0.1", rabbitmq_port=5672, rabbitmq_user="guest",
                        rabbitmq_password="guest", events_queue=f"gt_events_{tag}")
    redis = redis_server(services.redis_port, folder)
    env = stack_environment()
    env.update(CUSTOMER_TOKEN_SECRET=SECRET, STRIPE_API_KEY="sk_test_prod", OUTBOX_DIR=str(folder / "outbox"))
    stack, top = Stack(env=env, logs=folder), None
    try:
        start_localstripe(stack, free_port())
        top = start_topology(stack, model=ensure_model(), replicas=2, folder=folder, balancer_port=free_port(),
                             services=services)
        seed(stack, str(DEMO_SEED))
        top.redis, top.services, top.folder = redis, services, folder
        yield top
    except Exception:
        print_server_logs(folder)
        raise
    finally:
        stack.stop()
        (top.redis if top is not None else redis).terminate()  # the tests may have replaced it
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            for name in (services.app_database, services.tracker_database):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        asyncio.run(_delete_queue(services.events_queue))


def token(email: str) -> str:
    return issue_customer_token(email, secret=SECRET)


def test_the_same_confirmation_on_two_replicas_at_once_refunds_once(prod):
    sender, who = "replicas-ana", "ana@example.com"
    offer = texts(say(prod.stack, sender, "I cancelled a day late, can I get a refund?", token(who)))
    assert "$46.55" in offer, offer
    start, replies = threading.Barrier(2), {}

    def confirm(url):
        start.wait()
        replies[url] = texts(say(prod.stack, sender, "yes", token(who), rasa_url=url))

    threads = [threading.Thread(target=confirm, args=(url,)) for url in prod.rasa]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    engine = make_engine(prod.stack.env["DATABASE_URL"])
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == "ch_ana_2")).scalar_one()
        rows = session.execute(select(models.LedgerEntry).where(models.LedgerEntry.kind == "refund")).scalars().all()
    engine.dispose()
    refunds = stripe_refunds(prod.stack, charge.stripe_id)
    assert [r.amount for r in refunds] == [4655] and charge.refunded == 4655
    assert [(row.status, row.stripe_id) for row in rows] == [("succeeded", refunds[0].id)]
    assert any("$46.55" in reply for reply in replies.values()), replies
    assert not any(refunds[0].id in reply for reply in replies.values()), replies  # no processor id


def test_conversations_live_in_postgresql_and_their_events_go_to_rabbitmq(prod):
    sender = f"events-{uuid.uuid4().hex[:8]}"
    assert "trial" in texts(say(prod.stack, sender, "how long is the free trial?", None)).lower()
    tracker_db = make_engine(prod.services.database_url(prod.services.tracker_database))
    with tracker_db.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    tracker_db.dispose()
    assert stored > 0
    senders = asyncio.run(_drain_senders(prod.services.events_queue))
    assert sender in senders


def test_a_flooding_sender_gets_the_rate_once_across_the_replicas(prod):
    """credentials.yml: 10 at once, then 30 a minute, per sender. Counted per replica, a
    sender spreading 16 messages over two replicas would get all 16 through."""
    sender, start, statuses = f"flood-{uuid.uuid4().hex[:8]}", threading.Barrier(16), []

    def post(url):
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"sender": sender, "message": "hi"}).encode())
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as refused:
            statuses.append(refused.code)

    threads = [threading.Thread(target=post, args=(prod.rasa[i % 2],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert sorted(set(statuses)) == [200, 429] and len(statuses) == 16, statuses
    assert 10 <= statuses.count(200) <= 11, statuses  # the burst, and at most one refilled on the way


@pytest.mark.parametrize("transports", [("websocket",), ("polling",), ("polling", "websocket")])
def test_a_socket_io_conversation_works_through_the_load_balancer(prod, transports):
    """Over a websocket, and by long-polling, whose requests must all reach one replica."""
    answers = socket_say(prod.balancer, ["how long is the free trial?", "and what does it cost?"], None, transports)
    assert "trial" in answers[0]["text"].lower() and len(answers) == 2


def test_losing_redis_and_restarting_postgresql_need_no_manual_step(prod):
    prod.redis.kill()
    prod.redis.wait()
    prod.redis = redis_server(prod.services.redis_port, prod.folder)  # the same address, empty
    assert "trial" in texts(say(prod.stack, "after-redis", "what is the free trial?", None)).lower()

    cluster = subprocess.run(["bash", "-c", "ls /etc/postgresql"], capture_output=True, text=True).stdout.split()
    if not cluster or not shutil.which("pg_ctlcluster"):
        pytest.skip("PostgreSQL is not a local cluster here: its restart is not tested")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], "main", "restart"], check=True,
                   capture_output=True)
    wait_for_http(prod.balancer + "/", 30)
    who = "ben@example.com"
    reply = texts(say(prod.stack, "after-postgres", "what plan am I on?", token(who)))
    assert "plan" in reply.lower(), reply


async def _drain_senders(queue_name: str) -> set:
    import aio_pika
    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    senders = set()
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            import json
            senders.add(json.loads(message.body).get("sender_id"))
    return senders


async def _delete_queue(queue_name: str) -> None:
    import aio_pika
    try:
        connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    except Exception:  # noqa: BLE001 - nothing to clean where RabbitMQ is gone
        return
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
