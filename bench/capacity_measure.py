"""`python -m bench.capacity --measure`: each server's CPU per turn and resident memory, one
process of each as a Kubernetes pod runs it: Rasa on the production endpoints (PostgreSQL tracker
store, Redis lock store, RabbitMQ), the action server, and the widget in front, which is where a
customer's turn enters. Turns are the benchmark's (bench/turns_stacks.py): a customer with a
token asking for a refund, each a new conversation, a few at a time.

CPU is read from /proc (user + system time of each server and its children) before and after the
turns; memory is each server's resident set after them. Short and small on purpose: the
machines here are shared, and the long-run figures (the soak) are bench-turns' business."""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import aiohttp

from bench.turns_stacks import OUR_CUSTOMER, POSTGRES_SERVER, children, delete_queue, private_redis, resident_kib
from bot.app.identity import issue_customer_token
from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port
from bot.ops.production import drop_databases, start_topology
from bot.ops.runner import seed, stack_environment, start_console, start_localstripe, start_widget
from bot.settings import ROOT, Services

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its living children, from /proc."""
    total = 0.0
    for each in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


async def widget_turns(url: str, token: str, *, turns: int, concurrency: int) -> list[float]:
    """`turns` first turns through the widget's API, `concurrency` at a time; each turn's seconds."""
    queue, took = list(range(turns)), []

    async def sender(http: aiohttp.ClientSession) -> None:
        while queue:
            n = queue.pop()
            body = {"conversation_id": f"capacity-{uuid.uuid4().hex[:16]}",
                    "text": "I never used it, can I get a refund?", "customer_token": token}
            started = time.monotonic()
            # a different customer address each turn: the per-address limit is not what is measured
            async with http.post(f"{url}/api/messages", json=body,
                                 headers={"X-Forwarded-For": f"10.9.{n // 250}.{n % 250 + 1}"}) as response:
                assert response.status == 200, await response.text()
                assert (await response.json())["replies"], "an empty answer"
            took.append(time.monotonic() - started)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*(sender(http) for _ in range(concurrency)))
    return took


def measure(logs: Path, *, turns: int = 150, warm_up: int = 20, concurrency: int = 4) -> dict:
    tag = uuid.uuid4().hex[:10]
    services = Services(postgres_url=POSTGRES_SERVER, app_database=f"gt_capacity_app_{tag}",
                        tracker_database=f"gt_capacity_tracker_{tag}", redis_host="127.0.0.1",
                        redis_port=free_port(), rabbitmq_host="127.0.0.1", rabbitmq_port=5672,
                        rabbitmq_user="guest", rabbitmq_password="guest", events_queue=f"gt_capacity_{tag}")
    redis = private_redis(services.redis_port, logs)
    env = stack_environment()
    env.update(STRIPE_API_KEY="sk_test_capacity", OUTBOX_DIR=str(logs / "outbox"), WIDGET_TRUSTED_PROXIES="127.0.0.1")
    stack = Stack(env=env, logs=logs)
    try:
        start_localstripe(stack, free_port())
        start_topology(stack, model=ensure_model(), replicas=1, folder=logs, balancer_port=free_port(),
                       services=services)
        seed(stack, str(ROOT / "seeds" / "demo.yml"))
        start_console(stack, free_port())
        start_widget(stack, free_port())
        pids = {name.split("-")[0]: process.pid for name, process in stack.processes
                if name in ("rasa-1", "actions-1", "widget", "console")}
        token = issue_customer_token(OUR_CUSTOMER, ttl_seconds=3600, secret=env["CUSTOMER_TOKEN_SECRET"])
        asyncio.run(widget_turns(stack.urls["widget"], token, turns=warm_up, concurrency=concurrency))
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        took = sorted(asyncio.run(widget_turns(stack.urls["widget"], token, turns=turns, concurrency=concurrency)))
        wall = time.monotonic() - started
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        return {"turns": turns, "concurrency": concurrency, "turns_per_second": round(turns / wall, 1),
                "p50_ms": round(took[len(took) // 2] * 1e3, 1), "p95_ms": round(took[int(len(took) * 0.95)] * 1e3, 1),
                "cpu_ms_per_turn": {n: round((after[n] - before[n]) * 1e3 / turns, 1) for n in pids},
                "rss_mib": {n: round(resident_kib(pid) / 1024) for n, pid in pids.items()},
                "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
                "cpus": os.cpu_count(), "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    finally:
        stack.stop()
        redis.terminate()
        drop_databases(services)
        asyncio.run(delete_queue(services.events_queue))


def write(figures: dict, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return out
