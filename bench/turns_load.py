"""The load: REST turns sent with aiohttp, closed-loop (N senders, each waits for its reply
before the next message) for the latency/throughput levels, open-loop (a fixed arrival rate)
for the soak."""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import aiohttp

from bench.turns_stats import LevelSummary, summarize

# What a turn sends: (sender id) -> REST body.
BodyFor = Callable[[str], dict]
EARLIER_TURNS = 2  # a mid-conversation turn comes after this many turns of the same conversation
TURNS_PER_CONVERSATION = 8  # then a mid-conversation sender starts over (per-sender rate limit: 10 at once)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (since start, latency)


async def send_turn(http: aiohttp.ClientSession, url: str, body: dict) -> tuple[float, str | None]:
    """One turn: (seconds, None) or (seconds, what went wrong). An empty reply is an error:
    both bots answer every one of the benchmark's messages."""
    started = time.perf_counter()
    try:
        async with http.post(url, json=body) as response:
            payload = await response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                return elapsed, f"HTTP {response.status}: {payload[:120]!r}"
            if payload.strip() in (b"", b"[]"):
                return elapsed, "empty reply"
            return elapsed, None
    except (aiohttp.ClientError, asyncio.TimeoutError) as problem:
        return time.perf_counter() - started, f"{type(problem).__name__}: {problem}"


def new_sender(tag: str) -> str:
    return f"bench-{tag}-{uuid.uuid4().hex[:12]}"


def client(concurrency: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(concurrency, 1) * 2),
                                 timeout=aiohttp.ClientTimeout(total=120))


async def closed_loop(url: str, body_for: BodyFor, *, concurrency: int, turns_per_sender: int, mid: bool,
                      tag: str, on_turn: Callable[[], None] = lambda: None) -> tuple[LevelSummary, Outcome]:
    """`concurrency` senders, each sending `turns_per_sender` measured turns one after the other.
    First turns: a new conversation every turn. Mid-conversation: conversations that already
    had EARLIER_TURNS turns (sent before the clock starts)."""
    outcome = Outcome()
    async with client(concurrency) as http:
        conversations: list[list[str]] = [[] for _ in range(concurrency)]
        if mid:
            needed = -(-turns_per_sender // TURNS_PER_CONVERSATION)
            conversations = [[new_sender(tag) for _ in range(needed)] for _ in range(concurrency)]

            async def prepare(sender: str) -> None:
                for _ in range(EARLIER_TURNS):
                    await send_turn(http, url, body_for(sender))

            await asyncio.gather(*(prepare(s) for senders in conversations for s in senders))

        async def worker(index: int) -> None:
            for turn in range(turns_per_sender):
                sender = conversations[index][turn // TURNS_PER_CONVERSATION] if mid else new_sender(tag)
                elapsed, error = await send_turn(http, url, body_for(sender))
                (outcome.errors.append(error) if error else outcome.latencies.append(elapsed))
                on_turn()

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        wall = time.perf_counter() - started
    return summarize(concurrency, outcome.latencies, len(outcome.errors), wall), outcome


async def open_loop(url: str, body_for: BodyFor, *, rate: float, seconds: float, tag: str,
                    on_tick: Callable[[float, Outcome], None] = lambda _t, _o: None) -> Outcome:
    """New conversations arriving at `rate` a second for `seconds`, whether or not earlier
    ones were answered (a server falling behind shows as growing latency, not a slower sender)."""
    outcome = Outcome()
    pending: set[asyncio.Task] = set()
    async with client(int(rate * 4) + 4) as http:
        started = time.perf_counter()

        async def one() -> None:
            sent_at = time.perf_counter() - started
            elapsed, error = await send_turn(http, url, body_for(new_sender(tag)))
            if error:
                outcome.errors.append(error)
            else:
                outcome.latencies.append(elapsed)
                outcome.samples.append((sent_at, elapsed))

        next_tick, sent = 1.0, 0
        while (now := time.perf_counter() - started) < seconds:
            due = int(now * rate) + 1
            while sent < due:
                task = asyncio.create_task(one())
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            if now >= next_tick:
                on_tick(now, outcome)
                next_tick += 1.0
            await asyncio.sleep(min(1 / rate, 0.05))
        await asyncio.gather(*pending)
    return outcome
