"""`make bench-actions`: FAQ turns while five refunds wait on a slow Stripe, on the same action
server, against the same FAQ turns while the same refunds run on another action server, in one
run (issue 26 A).

The stack is `make run`'s (bot/ops/runner.py: localstripe, the action server, Rasa) on free
ports and a throw-away database, seeded with customers each owed an R1 refund, with a proxy
in front of localstripe that answers every request STRIPE_DELAY late (a process running
tests/support/stripe_proxy.py). The refund conversations talk to a second Rasa server that
calls the measured action server, as two replicas do in `make run-prod`, so that an FAQ turn
never queues behind a refund turn on a Rasa event loop: the action server is what both share.
Stripe, that second replica, the control's action server and Rasa, and the refund customers'
own client (a process of its own) stand for other machines; on this one they run on a core of
their own at the lowest CPU priority (`elsewhere`, `say_yes_elsewhere`), while the measured
action server, the FAQ turns' Rasa and this timing process share the other cores (`here`).
Short rounds of three phases, in rotating order, so that whatever else the machine does falls
on all alike:
- quiet: for WINDOW seconds one customer asks "How long is the free trial?" turn after turn,
  READING seconds after each answer (a new conversation every 8 turns, as the REST channel's
  per-sender limit allows), each turn timed;
- refunds: the same, while five customers at once say yes to the refund offered them just
  before the phase (the ledger, a cancellation and a refund, each Stripe call 500 ms late), on
  the measured action server; as one refund is done its worker's next customer says yes, so
  five are in flight all along (the table shows how many were, on average, while the FAQ turns
  were timed);
- control: the same refunds, carried out by a second action server (and its own Rasa) on the
  stand-ins' core. The machine is as busy as in the refunds phase (the stand-ins' core, the
  database file, the memory bus, a hypervisor's sibling thread) and the measured action server
  has no refund running: what is left between the two is what refunds cost the action server.
The figure is the FAQ p95 with refunds over the FAQ p95 of the control (target: at most TARGET);
the table also shows both against the quiet phase, the machine's share included.
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

from bench.actions_stack import ELSEWHERE, HERE, Bench, start
from bench.turns_load import client, new_sender
from bench.turns_stats import percentile
from bot.app.identity import issue_customer_token

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


async def refunds_phase(bench: Bench, url: str, window: float, each: int, label: str) -> Phase:
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
                _elapsed, told = await say(http, url, sender, REFUND_ASK, token)
                (queue.append((sender, token)) if REFUND_OFFERED in told
                 else phase.errors.append(f"offer: {told[:100]!r}"))
            queues.append(queue)
        spawned = multiprocessing.get_context("spawn")
        ready, closed, results = spawned.Event(), spawned.Event(), spawned.Queue()
        yes_sayers = spawned.Process(target=say_yes_elsewhere, args=(url, queues, ready, closed, results))
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
    os.sched_setaffinity(0, ELSEWHERE)

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


KINDS = ("quiet", "refunds", "control")


def measure(bench: Bench, rounds: int, window: float) -> dict[str, list[Phase]]:
    """Warm up (lazy first-use costs are not what a turn costs), then the rounds, each starting
    one kind later than the one before."""
    asyncio.run(quiet_phase(bench, 2, "warm-up: FAQ"))
    for url, name in ((bench.refund_url, "refunds"), (bench.control_url, "control")):
        asyncio.run(refunds_phase(bench, url, 2, REFUNDS_EACH, f"warm-up: {name}"))
    phases: dict[str, list[Phase]] = {kind: [] for kind in KINDS}
    for n in range(1, rounds + 1):
        for kind in KINDS[n % 3:] + KINDS[:n % 3]:
            label = f"round {n}/{rounds}: {kind}"
            url = {"refunds": bench.refund_url, "control": bench.control_url}.get(kind)
            phases[kind].append(asyncio.run(quiet_phase(bench, window, label) if url is None
                                            else refunds_phase(bench, url, window, REFUNDS_EACH, label)))
    return phases


def report(phases: dict[str, list[Phase]]) -> bool:
    """Print the table and the figure, write the JSON and the plot; whether the target was met."""
    rows = {kind: summary(phases[kind]) for kind in KINDS}
    ratio = rows["refunds"]["faq_p95_ms"] / rows["control"]["faq_p95_ms"]
    names = {"quiet": "no refund running", "control": f"{REFUNDS_AT_ONCE} refunds on another",
             "refunds": f"{REFUNDS_AT_ONCE} refunds on this one"}
    print(f"\n{'FAQ turns, action server':<28}{'turns':>7}{'p50 ms':>9}{'p95 ms':>9}{'vs quiet':>10}"
          f"{'refunds':>9}{'in flight':>11}")
    for kind in KINDS:
        row = rows[kind]
        against_quiet = row["faq_p95_ms"] / rows["quiet"]["faq_p95_ms"]
        print(f"{names[kind]:<28}{row['faq_turns']:>7}{row['faq_p50_ms']:>9.1f}{row['faq_p95_ms']:>9.1f}"
              f"{against_quiet:>9.2f}x{row['refunds']:>9}{row['refunds_in_flight']:>11.1f}")
    print(f"refund turn p50 {rows['refunds']['refund_p50_ms']:.0f} ms on this action server, "
          f"{rows['control']['refund_p50_ms']:.0f} ms on the other (Stripe {STRIPE_DELAY * 1e3:.0f} ms a call)")
    print(f"FAQ p95 of the turns that open a conversation (1 in {TURNS_PER_CONVERSATION}): "
          + ", ".join(f"{rows[k]['opening_p95_ms']:.1f} ms {k}" for k in KINDS)
          + "; of the others " + ", ".join(f"{rows[k]['later_p95_ms']:.1f}" for k in KINDS))
    per_round = [percentile(b.faq, 0.95) / percentile(a.faq, 0.95)
                 for a, b in zip(phases["control"], phases["refunds"])]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"FAQ p95 with refunds on this action server / on another: {ratio:.2f}x (target <= {TARGET}x: {verdict}); "
          f"by round: {', '.join(f'{r:.2f}x' for r in per_round)}")
    errors = [error for row in rows.values() for error in row["errors"]]
    if errors:
        print(f"{len(errors)} turns went wrong, e.g. {errors[0]}")
    (OUT / "actions.json").write_text(json.dumps({"stripe_delay_seconds": STRIPE_DELAY, "ratio": ratio,
                                                  "target": TARGET, "ratio_by_round": per_round, **rows}, indent=2))
    from bench.actions_plot import plot  # matplotlib only once the numbers are in
    print(f"plot: {plot(phases, ratio, OUT / 'actions.png')}  numbers: {OUT / 'actions.json'}")
    return ratio <= TARGET and not errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.actions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, help="quiet + refunds rounds (default 12, quick 4)")
    parser.add_argument("--window", type=float, default=WINDOW, help=f"seconds of FAQ turns a phase (default {WINDOW})")
    args = parser.parse_args(argv)
    rounds = args.rounds or (4 if args.quick else 12)
    OUT.mkdir(parents=True, exist_ok=True)
    os.sched_setaffinity(0, HERE)  # the FAQ customer's timing, beside the servers it times
    with tempfile.TemporaryDirectory(prefix="bench-actions-") as folder:
        stack, bench = start(Path(folder), (2 * rounds + 2) * REFUNDS_AT_ONCE * REFUNDS_EACH, STRIPE_DELAY)
        try:
            print(f"{rounds} rounds of {args.window:.0f} s of FAQ turns quiet, {args.window:.0f} s with "
                  f"{REFUNDS_AT_ONCE} refunds at once on the same action server and {args.window:.0f} s with them "
                  f"on another (Stripe answering {STRIPE_DELAY * 1e3:.0f} ms late), after a warm-up", flush=True)
            phases = measure(bench, rounds, args.window)
        finally:
            stack.stop()
    return 0 if report(phases) else 1


if __name__ == "__main__":
    sys.exit(main())
