"""`make bench-actions`: FAQ turns while five refunds wait on a slow Stripe, against the same
FAQ turns with no refund running, on the same action server in one run (issue 26 A).

The stack is `make run`'s (bot/ops/runner.py: localstripe, the action server, Rasa) on free
ports and a throw-away database, seeded with customers each owed an R1 refund, with a proxy
in front of localstripe that answers every request STRIPE_DELAY late (a process running
tests/support/stripe_proxy.py). The refund conversations talk to a second Rasa server that
calls the same action server, as two replicas do in `make run-prod`, so that an FAQ turn
never queues behind a refund turn on a Rasa event loop: the action server is what both
share. Stripe, that second replica and the refund customers' own client (a process of its own)
stand for other machines; on this one they run at the lowest CPU priority (`in_the_background`,
`say_yes_elsewhere`), while the action server and the FAQ turns' Rasa run as they always do.
Short rounds of two phases, in alternating order, so that whatever else the machine does falls
on both alike:
- quiet: for WINDOW seconds one customer asks "How long is the free trial?" turn after turn,
  READING seconds after each answer (a new conversation every 8 turns, as the REST channel's
  per-sender limit allows), each turn timed;
- refunds: the same, while five customers at once say yes to the refund offered them just
  before the phase (the ledger, a cancellation and a refund, each Stripe call 500 ms late); as
  one refund is done its worker's next customer says yes, so five are in flight all along
  (the table shows how many were, on average, while the FAQ turns were timed).
The figure is the FAQ p95 with refunds over the FAQ p95 quiet (target: at most TARGET).
Writes bench/out/actions.json and bench/out/actions.png.

    python -m bench.actions [--quick] [--rounds N] [--window SECONDS]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.turns_load import client, new_sender
from bench.turns_stats import percentile
from bot.app.identity import issue_customer_token
from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port
from bot.ops.runner import rasa_server_command, seed, stack_environment, start_assistant, start_localstripe

OUT = Path(__file__).resolve().parent / "out"
TARGET = 1.2
REFUNDS_AT_ONCE = 5
REFUNDS_EACH = 4  # offers made per worker before a phase: more than a window's worth (a refund takes ~3 s)
WINDOW = 8.0  # seconds of FAQ turns in each phase, quiet or not: both sample the machine for as long
# Between an answer and the next question: a customer reads. Without it the FAQ sender alone
# keeps a core busy, and the figure would say more about a saturated machine than about turns.
READING = 0.1
STRIPE_DELAY = 0.5
FAQ = "How long is the free trial?"
FAQ_ANSWER = "-day trial"
REFUND_ASK, REFUND_OFFERED, REFUND_DONE = "I cancelled a day late, can I get a refund?", "$46.55", "refunded $46.55"
TURNS_PER_CONVERSATION = 8
CUSTOMER = """  - email: {email}
    created: 2026-01-22T10:00:00Z
    subscription: {{plan: pro-monthly, price: 4900, currency: usd, interval: month, status: active,
                   current_period_start: 2026-11-22T10:00:00Z, current_period_end: 2026-12-22T10:00:00Z}}
    charges:
      - {{id: ch_bench_{n}, amount: 4900, currency: usd, created: 2026-11-22T10:00:00Z}}
"""


def seed_text(count: int) -> str:
    """`count` customers charged two hours before `relative_to`, still renewing: each owed R1."""
    return "relative_to: 2026-11-22T12:00:00Z\ncustomers:\n" + "".join(
        CUSTOMER.format(email=f"refund{n}@bench.example", n=n) for n in range(count))


@dataclass
class Bench:
    faq_url: str  # a Rasa server's REST webhook
    refund_url: str  # the other Rasa server's, on the same action server
    secret: str  # CUSTOMER_TOKEN_SECRET
    customers: list[str]  # emails not yet refunded
    faq_sender: str = ""
    faq_turns: int = 0


@dataclass
class Phase:
    faq: list[float] = field(default_factory=list)  # seconds per FAQ turn
    opening: list[float] = field(default_factory=list)  # the same, of the turns that open a conversation
    later: list[float] = field(default_factory=list)  # and of the others
    refunds: list[float] = field(default_factory=list)  # seconds per yes turn
    errors: list[str] = field(default_factory=list)
    in_flight_seconds: float = 0.0  # refund-seconds that overlapped the FAQ turns
    seconds: float = 0.0  # the FAQ turns' span


async def say(http, url: str, sender: str, text: str, token: str | None = None) -> tuple[float, str]:
    metadata = {"customer_token": token} if token else {}
    started = time.perf_counter()
    try:
        async with http.post(url, json={"sender": sender, "message": text, "metadata": metadata}) as response:
            replies = await response.json() if response.status == 200 else [{"text": f"HTTP {response.status}"}]
    except (aiohttp.ClientError, asyncio.TimeoutError) as problem:
        replies = [{"text": f"{type(problem).__name__}: {problem}"}]
    return time.perf_counter() - started, "\n".join(reply.get("text") or "" for reply in replies)


async def ask_faq(http, bench: Bench, phase: Phase) -> None:
    opens = bench.faq_turns % TURNS_PER_CONVERSATION == 0
    if opens:
        bench.faq_sender = new_sender("faq")
    bench.faq_turns += 1
    elapsed, told = await say(http, bench.faq_url, bench.faq_sender, FAQ)
    if FAQ_ANSWER not in told:
        phase.errors.append(f"FAQ: {told[:100]!r}")
        return
    phase.faq.append(elapsed)
    (phase.opening if opens else phase.later).append(elapsed)


_shown = [0.0]


def progress(label: str, phase: Phase, window: float) -> None:
    if time.monotonic() - _shown[0] < 0.5 and phase.seconds < window:
        return
    _shown[0] = time.monotonic()
    sys.stderr.write(f"\r  {label:<26} {min(phase.seconds, window):4.1f}/{window:.0f} s  FAQ turns {len(phase.faq):<5} "
                     f"refunds {len(phase.refunds):<4} errors {len(phase.errors)}")
    sys.stderr.flush()


async def faq_window(http, bench: Bench, phase: Phase, window: float, label: str) -> float:
    """FAQ turns one after another, READING apart, for `window` seconds; returns when it opened."""
    started = time.perf_counter()
    while phase.seconds < window:
        await ask_faq(http, bench, phase)
        await asyncio.sleep(READING)
        phase.seconds = time.perf_counter() - started
        progress(label, phase, window)
    sys.stderr.write("\n")
    return started


async def quiet_phase(bench: Bench, window: float, label: str) -> Phase:
    phase = Phase()
    async with client(2) as http:
        await faq_window(http, bench, phase, window, label)
    return phase


async def refunds_phase(bench: Bench, window: float, each: int, label: str) -> Phase:
    """Offers first (not timed), then five workers saying yes, one refund after another, while
    the FAQ turns are timed; a worker starts no refund once the window has closed. The workers
    run in a process of their own (`say_yes_elsewhere`)."""
    phase = Phase()
    async with client(REFUNDS_AT_ONCE + 2) as http:
        queues = []
        for _ in range(REFUNDS_AT_ONCE):
            queue = []
            for _ in range(each):
                token = issue_customer_token(bench.customers.pop(), secret=bench.secret)
                sender = new_sender("refund")
                _elapsed, told = await say(http, bench.refund_url, sender, REFUND_ASK, token)
                (queue.append((sender, token)) if REFUND_OFFERED in told
                 else phase.errors.append(f"offer: {told[:100]!r}"))
            queues.append(queue)
        spawned = multiprocessing.get_context("spawn")
        ready, closed, results = spawned.Event(), spawned.Event(), spawned.Queue()
        yes_sayers = spawned.Process(target=say_yes_elsewhere, args=(bench.refund_url, queues, ready, closed, results))
        yes_sayers.start()
        await asyncio.get_running_loop().run_in_executor(None, ready.wait)
        await asyncio.sleep(0.2)  # every worker has said its first yes
        opened = time.monotonic()
        await faq_window(http, bench, phase, window, label)
        closed.set()
        spans, refunds, errors = await asyncio.get_running_loop().run_in_executor(None, results.get)
        yes_sayers.join()
        phase.refunds += refunds
        phase.errors += errors
        phase.in_flight_seconds = overlap(spans, opened, opened + phase.seconds)
    return phase


def say_yes_elsewhere(url: str, queues: list, ready, closed, results) -> None:
    """The refund customers, in a process of their own at the lowest CPU priority, as Stripe's
    stand-in and the second Rasa replica are: they are other people on other machines, and
    reading their replies in the timing process would put their cost on the FAQ turns' clock.
    Sends back (spans on the monotonic clock, each refund turn's seconds, errors)."""
    os.nice(19)

    async def say_them() -> tuple[list, list, list]:
        spans, refunds, errors = [], [], []
        async with client(REFUNDS_AT_ONCE) as http:
            async def worker(queue: list) -> None:
                for sender, token in queue:
                    if closed.is_set():
                        return
                    began = time.monotonic()
                    elapsed, told = await say(http, url, sender, "yes", token)
                    spans.append((began, began + elapsed))
                    (refunds.append(elapsed) if REFUND_DONE in told else errors.append(f"refund: {told[:100]!r}"))
            ready.set()
            await asyncio.gather(*(worker(queue) for queue in queues))
        return spans, refunds, errors

    results.put(asyncio.run(say_them()))


def overlap(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of the spans that fall between start and end, added up (5 spans all along: 5 x)."""
    return sum(max(0.0, min(until, end) - max(since, start)) for since, until in spans)


def start(logs: Path, customers: int, delay: float) -> tuple[Stack, Bench]:
    env = stack_environment()
    env.update(DATABASE_URL=f"sqlite:///{logs}/bench.db", STRIPE_API_KEY="sk_test_bench",
               OUTBOX_DIR=str(logs / "outbox"))
    stack = Stack(env=env, logs=logs)
    try:
        stripe = start_localstripe(stack, free_port())
        (logs / "customers.yml").write_text(seed_text(customers))
        print(f"seeding {customers} customers owed a refund ...", flush=True)
        seed(stack, str(logs / "customers.yml"))
        # In a process of its own: its threads would otherwise share this one's with the timing.
        port = free_port()
        proxy = f"http://127.0.0.1:{port}"
        stack.spawn("stripe-proxy", [sys.executable, "-m", "tests.support.stripe_proxy", stripe, "--port", str(port),
                                     "--delay", str(delay)], proxy, f"{proxy}/v1/customers", timeout=30)
        stack.env["STRIPE_API_BASE"] = proxy  # the action server's Stripe answers `delay` late
        in_the_background(stack, "stripe", "stripe-proxy")
        print("starting the action server and two Rasa servers calling it ...", flush=True)
        model = ensure_model()
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=free_port())
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        stack.spawn("rasa-refunds", rasa_server_command(stack.env, model=model, port=port), url, f"{url}/",
                    timeout=240)
        in_the_background(stack, "rasa-refunds")
    except BaseException:
        stack.stop()
        raise
    return stack, Bench(f"{stack.urls['rasa']}/webhooks/rest/webhook", f"{url}/webhooks/rest/webhook",
                        env["CUSTOMER_TOKEN_SECRET"], [f"refund{n}@bench.example" for n in range(customers)])


def in_the_background(stack: Stack, *names: str) -> None:
    """Every thread of the named servers at the lowest CPU priority (Linux nices each thread;
    threads they start later inherit it)."""
    for name, process in stack.processes:
        if name in names:
            for thread in Path(f"/proc/{process.pid}/task").iterdir():
                os.setpriority(os.PRIO_PROCESS, int(thread.name), 19)


def summary(phases: list[Phase]) -> dict:
    faq = [t for phase in phases for t in phase.faq]
    refunds = [t for phase in phases for t in phase.refunds]
    seconds = sum(phase.seconds for phase in phases)
    opening = [t for phase in phases for t in phase.opening]
    later = [t for phase in phases for t in phase.later]
    return {"faq_turns": len(faq), "faq_p50_ms": percentile(faq, 0.5) * 1e3, "faq_p95_ms": percentile(faq, 0.95) * 1e3,
            "opening_p95_ms": percentile(opening, 0.95) * 1e3 if opening else None,
            "later_p95_ms": percentile(later, 0.95) * 1e3 if later else None,
            "refunds": len(refunds), "refund_p50_ms": percentile(refunds, 0.5) * 1e3 if refunds else None,
            "refunds_in_flight": sum(phase.in_flight_seconds for phase in phases) / seconds if seconds else 0.0,
            "errors": [error for phase in phases for error in phase.errors]}


def measure(bench: Bench, rounds: int, window: float) -> tuple[list[Phase], list[Phase]]:
    """Warm up (lazy first-use costs are not what a turn costs), then the rounds."""
    asyncio.run(quiet_phase(bench, 2, "warm-up: FAQ"))
    asyncio.run(refunds_phase(bench, 2, REFUNDS_EACH, "warm-up: refunds"))
    quiet, loaded = [], []
    for n in range(1, rounds + 1):
        label = f"round {n}/{rounds}"
        for kind in ("quiet", "refunds") if n % 2 else ("refunds", "quiet"):
            if kind == "quiet":
                quiet.append(asyncio.run(quiet_phase(bench, window, f"{label}: quiet")))
            else:
                loaded.append(asyncio.run(refunds_phase(bench, window, REFUNDS_EACH, f"{label}: refunds")))
    return quiet, loaded


def report(quiet: list[Phase], loaded: list[Phase]) -> bool:
    """Print the table and the figure, write the JSON and the plot; whether the target was met."""
    without, withref = summary(quiet), summary(loaded)
    ratio = withref["faq_p95_ms"] / without["faq_p95_ms"]
    print(f"\n{'':<22}{'FAQ turns':>10}{'p50 ms':>9}{'p95 ms':>9}{'refunds':>9}{'in flight':>11}")
    for name, row in (("no refund running", without), (f"{REFUNDS_AT_ONCE} refunds running", withref)):
        print(f"{name:<22}{row['faq_turns']:>10}{row['faq_p50_ms']:>9.1f}{row['faq_p95_ms']:>9.1f}"
              f"{row['refunds']:>9}{row['refunds_in_flight']:>11.1f}")
    print(f"refund turn p50 {withref['refund_p50_ms']:.0f} ms (Stripe {STRIPE_DELAY * 1e3:.0f} ms a call)")
    print(f"FAQ p95 of the turns that open a conversation (1 in {TURNS_PER_CONVERSATION}): "
          f"{without['opening_p95_ms']:.1f} ms quiet, {withref['opening_p95_ms']:.1f} ms with refunds; of the others "
          f"{without['later_p95_ms']:.1f} and {withref['later_p95_ms']:.1f} ms")
    per_round = [percentile(b.faq, 0.95) / percentile(a.faq, 0.95) for a, b in zip(quiet, loaded)]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"FAQ p95 with refunds / quiet: {ratio:.2f}x (target <= {TARGET}x: {verdict}); "
          f"by round: {', '.join(f'{r:.2f}x' for r in per_round)}")
    errors = without["errors"] + withref["errors"]
    if errors:
        print(f"{len(errors)} turns went wrong, e.g. {errors[0]}")
    (OUT / "actions.json").write_text(json.dumps({"stripe_delay_seconds": STRIPE_DELAY, "ratio": ratio,
                                                  "target": TARGET, "ratio_by_round": per_round,
                                                  "quiet": without, "refunds": withref}, indent=2))
    from bench.actions_plot import plot  # matplotlib only once the numbers are in
    print(f"plot: {plot(quiet, loaded, ratio, OUT / 'actions.png')}  numbers: {OUT / 'actions.json'}")
    return ratio <= TARGET and not errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.actions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, help="quiet + refunds rounds (default 12, quick 4)")
    parser.add_argument("--window", type=float, default=WINDOW, help=f"seconds of FAQ turns a phase (default {WINDOW})")
    args = parser.parse_args(argv)
    rounds = args.rounds or (4 if args.quick else 12)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-actions-") as folder:
        stack, bench = start(Path(folder), (rounds + 1) * REFUNDS_AT_ONCE * REFUNDS_EACH, STRIPE_DELAY)
        try:
            print(f"{rounds} rounds of {args.window:.0f} s of FAQ turns quiet and {args.window:.0f} s with "
                  f"{REFUNDS_AT_ONCE} refunds at once (Stripe answering {STRIPE_DELAY * 1e3:.0f} ms late), "
                  "after a warm-up", flush=True)
            quiet, loaded = measure(bench, rounds, args.window)
        finally:
            stack.stop()
    return 0 if report(quiet, loaded) else 1


if __name__ == "__main__":
    sys.exit(main())
