"""`make bench`: what exactly-once money and the rules cost, as ratios to a baseline
measured in the same run on the same machine (absolute times vary between machines).

- refund: our full path (decision record, ledger row, claim, metadata look-up,
  remainder check, Stripe refund, mirror update) against a bare `refunds.create`
  on the same local Stripe.
- decide: one rules evaluation against copying the same account (a floor for any
  pure function of it).
- shared rate limit: one per-sender take on Redis (what every message pays in the
  production shape) against a bare Redis PING (a floor for anything shared over Redis).
Writes bench/out/bench.png and prints the table.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from copy import deepcopy
from pathlib import Path

from bot.app import offers
from bot.app.refunds import assess_refund, carry_out_refund
from bot.billing.gateway import StripeGateway
from bot.billing.mirror.push import push_to_stripe
from bot.core.domain import Reason
from bot.core.policy import Policy
from bot.core.rules import decide
from bot.core.statuses import OfferKind
from bot.core.timeutil import parse_utc
from bot.db.migrate import upgrade
from bot.db.session import make_engine, unit_of_work
from bot.ops.processes import Stack, free_port
from bot.ops.runner import stack_environment, start_localstripe
from bot.ops.seed import parse_seed, write_customers

OUT = Path(__file__).resolve().parent / "out"
ROUNDS = 30


def progress(label: str, done: int, total: int) -> None:
    sys.stderr.write(f"\r{label:<28} {done}/{total}")
    if done == total:
        sys.stderr.write("\n")


def seed_text(n: int) -> str:
    rows = [f"""  - email: c{i}@bench.example
    created: 2026-01-01T00:00:00Z
    subscription: {{plan: pro, price: 4900, currency: usd, interval: month, status: canceled,
                   current_period_start: 2026-11-22T10:00:00Z, current_period_end: 2026-12-22T10:00:00Z}}
    charges:
      - {{id: ch_b{i}, amount: 4900, currency: usd, created: 2026-11-22T10:00:00Z}}""" for i in range(n)]
    return "customers:\n" + "\n".join(rows) + "\n"


def bench_refunds(gateway: StripeGateway, tmp: Path) -> tuple[list[float], list[float]]:
    url = f"sqlite:///{tmp}/bench.db"
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        write_customers(session, parse_seed(seed_text(ROUNDS)))
    push_to_stripe(engine, gateway)
    now = parse_utc("2026-11-22T12:00:00Z")
    ours, bare = [], []
    payer = gateway.ensure_customer("bare@bench.example", "Bare", metadata={})
    for i in range(ROUNDS):
        started = time.perf_counter()
        decision = assess_refund(f"c{i}@bench.example", "late_cancellation", now=now, engine=engine,
                                 policy=Policy())
        offer = offers.make_offer(conversation_id=f"bench-{i}", channel="rest", email=f"c{i}@bench.example",
                                  kind=OfferKind.REFUND, now=now, valid_minutes=30,
                                  decision_id=decision.decision_id, engine=engine)
        offers.answer(offer.token, conversation_id=f"bench-{i}", email=f"c{i}@bench.example", accept=True, now=now,
                      engine=engine)
        carry_out_refund(decision.decision_id, email=f"c{i}@bench.example", consent=offer.token,
                         gateway=gateway, engine=engine)
        ours.append(time.perf_counter() - started)
        charge = gateway.create_payment(payer, 4900, "usd", metadata={}, idempotency_key=f"bare-{i}")
        started = time.perf_counter()
        gateway.client.refunds.create(params={"charge": charge, "amount": 4655})
        bare.append(time.perf_counter() - started)
        progress("refund: ours vs bare", i + 1, ROUNDS)
    engine.dispose()
    return ours, bare


def bench_decide(tmp: Path) -> tuple[list[float], list[float]]:
    from tests.conftest import DEMO_NOW, DEMO_SEED  # the demo accounts, one per rule
    accounts = [c.account for c in parse_seed(DEMO_SEED.read_text(), now=DEMO_NOW)]
    rules, copies, reps = [], [], 200
    for r in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(reps):
            for account in accounts:
                decide(account, Reason.LATE_CANCELLATION, DEMO_NOW, Policy())
        rules.append((time.perf_counter() - started) / (reps * len(accounts)))
        started = time.perf_counter()
        for _ in range(reps):
            for account in accounts:
                deepcopy(account)
        copies.append((time.perf_counter() - started) / (reps * len(accounts)))
        progress("decide vs copy", r + 1, ROUNDS)
    return rules, copies


def bench_rate_limits(url: str) -> tuple[list[float], list[float]] | None:
    """One shared rate-limit take (an atomic script on Redis) against a bare Redis PING:
    the round trip every limiter shared between replicas pays at the least."""
    import asyncio
    import uuid

    import redis.asyncio

    from bot.web.limits import SharedRateLimiter
    prefix, reps = f"bench_rate_{uuid.uuid4().hex[:8]}", 100

    async def run():
        client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=1)
        try:
            await client.ping()
        except (redis.RedisError, OSError):
            return None
        limiter = SharedRateLimiter(url, name="bench", per_minute=10**6, burst=10**6, prefix=prefix)
        takes, pings = [], []
        for r in range(ROUNDS):
            started = time.perf_counter()
            for i in range(reps):
                await limiter.allow(f"sender-{i}")
            takes.append((time.perf_counter() - started) / reps)
            started = time.perf_counter()
            for _ in range(reps):
                await client.ping()
            pings.append((time.perf_counter() - started) / reps)
            progress("shared rate limit vs PING", r + 1, ROUNDS)
        async for key in client.scan_iter(f"{prefix}:*"):
            await client.delete(key)
        await client.close()
        return takes, pings

    return asyncio.run(run())


def plot(results: dict) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    OUT.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4))
    for ax, (name, (ours, base, labels)) in zip(axes, results.items()):
        ax.boxplot([[v * 1e3 for v in ours], [v * 1e3 for v in base]], labels=labels)
        ratio = statistics.median(ours) / statistics.median(base)
        ax.set_title(f"{name}: {ratio:.1f}x baseline")
        ax.set_ylabel("ms per operation")
    fig.tight_layout()
    path = OUT / "bench.png"
    fig.savefig(path, dpi=110)
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(env=stack_environment(), logs=Path(tmp))
        try:
            gateway = StripeGateway("sk_test_bench", api_base=start_localstripe(stack, free_port()))
            ours, bare = bench_refunds(gateway, Path(tmp))
        finally:
            stack.stop()
        rules, copies = bench_decide(Path(tmp))
    results = {"exactly-once refund": (ours, bare, ["ours", "bare Stripe refund"]),
               "rules decide()": (rules, copies, ["decide", "copy account"])}
    redis_url = os.environ.get("RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/0")
    shared = bench_rate_limits(redis_url)
    if shared is None:
        print(f"shared rate limit: skipped, no Redis at {redis_url}", file=sys.stderr)
    else:
        results["shared rate limit"] = (*shared, ["take", "Redis PING"])
    print(f"\n{'measure':<22}{'ours (median)':>16}{'baseline':>14}{'ratio':>8}")
    for name, (a, b, _labels) in results.items():
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name:<22}{ma * 1e3:>13.3f} ms{mb * 1e3:>11.3f} ms{ma / mb:>7.1f}x")
    print(f"\nplot: {plot(results)}")


if __name__ == "__main__":
    main()
