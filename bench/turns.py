"""`make bench-turns`: what one conversation turn costs us against a stock `rasa init` bot
measured in the same run on the same machine (issue 17).

Harness: every turn is one REST message. First turns start a new conversation each time;
mid-conversation turns go to conversations that already had a few turns. Each system runs
alone: 60 sequential turns, then 5, 10 and 20 concurrent senders x 8 turns each. Systems:
stock `rasa init` ("I am sad"), the `make run` shape and the `make run-prod` shape (a
customer with a token: "I never used it, can I get a refund?"), and the `make run` shape again
with the same question in words that make the sentence encoder read it ("make run, encoder").

Then, on the `make run` shape: py-spy flame graphs of Rasa and the action server under
20 senders; and a soak at 80 % of the highest throughput measured, on the `make run` shape or
(`--soak-on run-prod`) the production one. Writes bench/out/turns.json, bench/out/turns.png and
bench/out/profile-*.svg.

    python -m bench.turns [--quick] [--soak SECONDS] [--soak-on make-run|run-prod] [--skip-prod]
                          [--profile-seconds N]
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.turns_load import closed_loop, send_turn, client, new_sender
from bench.turns_profile import hottest_frames, profile_under_load, soak
from bench.turns_stacks import System, start_prod_shape, start_run_shape, start_stock, wait_until_answering
from bench.turns_stats import LevelSummary, comparison

OUT = Path(__file__).resolve().parent / "out"
LEVELS = (1, 5, 10, 20)
MODES = ("first", "mid")
# Frames worth naming in the printed profile (the server loops and runpy wrap everything).
OWN_CODE = ("actions/", "bot/", "channels/", "nlu/", "rasa/core", "rasa/nlu", "rasa/shared", "rasa/utils",
            "rasa_sdk/", "sqlalchemy/", "jsonschema/", "aiohttp/", "json", "yaml/")
SERVER_LOOPS = ("bot/ops/quiet.py", "(bot/ops/action_server.py:1", "rasa/__main__", "rasa/cli/", "rasa/api.py",
                "rasa/core/run.py")
ENCODED = "make run, encoder"
TARGETS = {"first-turn p95 at 1 sender, make run / stock": 1.2,
           "throughput at 20 senders, make run / stock": 1.0,
           f"first-turn p95 at 1 sender, {ENCODED} / stock": 1.2,
           f"throughput at 20 senders, {ENCODED} / stock": 1.0,
           "throughput at 20 senders, make run-prod / stock": 1.6}


def turns_at(level: int, quick: bool) -> int:
    """Per sender: the sequential level is 60 turns (20 quick), the concurrent ones 8 (4 quick)."""
    if level == 1:
        return 20 if quick else 60
    return 4 if quick else 8


def warm_up(system: System, turns: int = 6) -> None:
    """Lazy first-use costs (model graph, DB pools, imports) are not what a turn costs."""
    async def go():
        async with client(2) as http:
            for _ in range(turns):
                _elapsed, error = await send_turn(http, system.url, system.body_for(new_sender("warm")))
                if error:
                    raise RuntimeError(f"{system.name} does not answer the benchmark's message: {error}")
    asyncio.run(go())


def measure(system: System, quick: bool) -> dict[str, dict[int, LevelSummary]]:
    results: dict[str, dict[int, LevelSummary]] = {}
    for mode in MODES:
        results[mode] = {}
        for level in LEVELS:
            total, done = level * turns_at(level, quick), [0]

            def tick(total=total, label=f"{system.name}: {mode} turns, {level} sender(s)"):
                done[0] += 1
                if done[0] % max(1, total // 20) == 0 or done[0] == total:
                    sys.stderr.write(f"\r  {label:<46} {done[0]}/{total}")
                    sys.stderr.flush()

            summary, outcome = asyncio.run(closed_loop(system.url, system.body_for, concurrency=level,
                                                       turns_per_sender=turns_at(level, quick), mid=mode == "mid",
                                                       tag=mode, on_turn=tick))
            sys.stderr.write("\n")
            results[mode][level] = summary
            print(f"    p50 {summary.p50_ms:6.1f} ms  p95 {summary.p95_ms:6.1f} ms  "
                  f"{summary.turns_per_second:5.1f} turns/s  errors {summary.errors}"
                  + (f"  e.g. {outcome.errors[0]}" if outcome.errors else ""), flush=True)
    return results


def run_system(start, logs: Path, quick: bool, after=None) -> tuple[dict | None, dict]:
    """Start, warm up, measure, optionally do more under load (`after`), stop."""
    began = time.monotonic()
    system = start(logs)
    extra = {}
    try:
        wait_until_answering(system)
        print(f"  {system.name} ready in {time.monotonic() - began:.0f} s; warming up", flush=True)
        warm_up(system)
        results = measure(system, quick)
        if after:
            extra = after(system, results)
    finally:
        system.stop()
    return results, extra


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_table(systems: dict[str, dict[str, dict[int, LevelSummary]]]) -> list[dict]:
    stock = systems["stock"]
    rows = []
    print(f"\n{'system':<20}{'turns':<7}{'senders':>8}{'p50 ms':>9}{'p95 ms':>9}{'turns/s':>9}"
          f"{'p95 x':>8}{'tput x':>8}{'errors':>8}")
    for name, results in systems.items():
        for mode in MODES:
            ratios = {row["concurrency"]: row for row in comparison(results[mode], stock[mode])}
            for level, s in results[mode].items():
                r = ratios.get(level, {})
                rows.append({"system": name, "mode": mode, **s.as_dict(),
                             "p95_vs_stock": r.get("p95_ratio"), "throughput_vs_stock": r.get("throughput_ratio")})
                print(f"{name:<20}{mode:<7}{level:>8}{s.p50_ms:>9.1f}{s.p95_ms:>9.1f}{s.turns_per_second:>9.1f}"
                      f"{r.get('p95_ratio', math.nan):>7.2f}x{r.get('throughput_ratio', math.nan):>7.2f}x"
                      f"{s.errors:>8}")
    return rows


def headline(systems: dict) -> dict[str, float]:
    stock, ours = systems["stock"]["first"], systems["make run"]["first"]
    figures = {"first-turn p95 at 1 sender, make run / stock": ours[1].p95_ms / stock[1].p95_ms,
               "throughput at 20 senders, make run / stock": ours[20].turns_per_second / stock[20].turns_per_second}
    if ENCODED in systems:
        encoded = systems[ENCODED]["first"]
        figures[f"first-turn p95 at 1 sender, {ENCODED} / stock"] = encoded[1].p95_ms / stock[1].p95_ms
        figures[f"throughput at 20 senders, {ENCODED} / stock"] = (
            encoded[20].turns_per_second / stock[20].turns_per_second)
    if "make run-prod" in systems:
        figures["throughput at 20 senders, make run-prod / stock"] = (
            systems["make run-prod"]["first"][20].turns_per_second / stock[20].turns_per_second)
    print()
    for name, value in figures.items():
        target = TARGETS[name]
        met = value <= target if "p95" in name else value >= target
        print(f"{name:<56} {value:5.2f}x  (target {'<=' if 'p95' in name else '>='} {target}x: "
              f"{'met' if met else 'NOT met'})")
    return figures


def plot(systems: dict) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"stock": "tab:grey", "make run": "tab:blue", ENCODED: "tab:green", "make run-prod": "tab:orange"}
    for name, results in systems.items():
        for mode, style in (("first", "-"), ("mid", ":")):
            levels = sorted(results[mode])
            latency.plot(levels, [results[mode][lv].p95_ms for lv in levels], style, marker="o",
                         color=colours.get(name), label=f"{name}, {mode} turns")
            throughput.plot(levels, [results[mode][lv].turns_per_second for lv in levels], style, marker="o",
                            color=colours.get(name), label=f"{name}, {mode} turns")
    latency.set(xlabel="concurrent senders", ylabel="p95 latency (ms)", title="turn latency")
    throughput.set(xlabel="concurrent senders", ylabel="turns / s", title="throughput")
    for ax in (latency, throughput):
        ax.set_xticks(list(LEVELS))
        ax.grid(alpha=0.3)
    latency.legend(fontsize=7)
    fig.suptitle(f"one REST turn, ours vs stock `rasa init` (load before the run: {RUN_LOAD})", fontsize=9)
    fig.tight_layout()
    path = OUT / "turns.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


RUN_LOAD = ""


def main(argv: list[str] | None = None) -> int:
    global RUN_LOAD
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer turns per level; no soak unless --soak")
    parser.add_argument("--soak", type=float, default=None, metavar="SECONDS",
                        help="soak length, on the shape --soak-on names (default 600; 0 skips it)")
    parser.add_argument("--soak-on", choices=("make-run", "run-prod"), default="make-run",
                        help="the shape soaked: make-run keeps every conversation in memory (its embedded "
                             "tracker store), so its memory grows with each new one; run-prod keeps them in PostgreSQL")
    parser.add_argument("--skip-prod", action="store_true", help="leave out the make run-prod shape")
    parser.add_argument("--profile-seconds", type=int, default=20, help="py-spy recording (0 skips it)")
    args = parser.parse_args(argv)
    soak_seconds = args.soak if args.soak is not None else (0 if args.quick else 600)
    OUT.mkdir(parents=True, exist_ok=True)
    RUN_LOAD = load_average()
    print(f"load average before the run: {RUN_LOAD} ({os.cpu_count()} CPUs)", flush=True)
    systems, report = {}, {"load_average_before": RUN_LOAD, "quick": args.quick, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-turns-") as tmp:
        tmp = Path(tmp)
        print("stock `rasa init` bot:", flush=True)
        (tmp / "stock").mkdir()
        systems["stock"], _ = run_system(start_stock, tmp / "stock", args.quick)

        def under_load(system: System, results: dict, *, profile: bool, soak_here: bool) -> dict:
            extra = {}
            if system.encoded_body_for:
                print(f"  {ENCODED}: the same turns, in words the sentence encoder reads", flush=True)
                encoded = dataclasses.replace(system, name=ENCODED, body_for=system.encoded_body_for)
                warm_up(encoded)
                systems[ENCODED] = measure(encoded, args.quick)
            if profile and args.profile_seconds:
                print(f"  py-spy, {args.profile_seconds} s under 20 senders ...", flush=True)
                recorded = profile_under_load(system, OUT, args.profile_seconds)
                extra["profiles"] = {}
                for name in system.servers:
                    if name not in recorded:
                        continue
                    frames = hottest_frames(recorded[name], own_code=OWN_CODE, ignore=SERVER_LOOPS)
                    extra["profiles"][name] = {"flamegraph": recorded[f"{name}-svg"].name, **frames}
                    print(f"  {name}: flame graph {recorded[f'{name}-svg'].relative_to(OUT.parent.parent)}, "
                          f"{frames.get('samples', 0)} samples", flush=True)
                    for kind in ("inclusive", "own"):
                        print(f"    most samples {'under' if kind == 'inclusive' else 'in'}:", flush=True)
                        for frame, share in frames.get(kind, [])[:12]:
                            print(f"      {share * 100:5.1f}%  {frame[:140]}", flush=True)
            if soak_here and soak_seconds:
                best = max(s.turns_per_second for s in results["first"].values())
                rate = round(0.8 * best, 1)
                print(f"  soak: {soak_seconds:.0f} s of new conversations at {rate} turns/s "
                      f"(80 % of {best:.1f}) ...", flush=True)
                extra["soak"] = soak(system, rate=rate, seconds=soak_seconds)
            return extra

        print("`make run` shape (1 Rasa, 1 action server, SQLite):", flush=True)
        (tmp / "run").mkdir()
        systems["make run"], report["make_run_under_load"] = run_system(
            start_run_shape, tmp / "run", args.quick,
            after=functools.partial(under_load, profile=True, soak_here=args.soak_on == "make-run"))
        if args.skip_prod:
            print("`make run-prod` shape: skipped (--skip-prod)", flush=True)
        else:
            print("`make run-prod` shape (2+2 replicas, nginx, PostgreSQL, Redis, RabbitMQ):", flush=True)
            (tmp / "prod").mkdir()
            try:
                systems["make run-prod"], report["run_prod_under_load"] = run_system(
                    start_prod_shape, tmp / "prod", args.quick,
                    after=functools.partial(under_load, profile=False, soak_here=args.soak_on == "run-prod"))
            except Exception as problem:  # noqa: BLE001 - the rest of the report still stands
                print(f"`make run-prod` shape could not run: {problem}\n  (PostgreSQL on 127.0.0.1:5432, "
                      "RabbitMQ on 5672, redis-server and nginx are needed; --skip-prod leaves it out)",
                      file=sys.stderr, flush=True)
    report["load_average_after"] = load_average()
    report["rows"] = print_table(systems)
    report["headline"] = headline(systems)
    soak_report = (report.get("make_run_under_load") or {}).get("soak") or \
        (report.get("run_prod_under_load") or {}).get("soak")
    if soak_report:
        print(f"\nsoak ({args.soak_on}): {soak_report['turns']} turns in {soak_report['seconds']:.0f} s at "
              f"{soak_report['achieved_rate']:.1f}/s (target {soak_report['rate_target']}), "
              f"{soak_report['errors']} errors, p50 {soak_report['p50_ms']:.0f} ms, "
              f"p95 {soak_report['p95_ms']:.0f} ms; "
              "p95 per minute " + " ".join(f"{v:.0f}" for v in soak_report["p95_per_minute_ms"]) + " ms; RSS growth "
              + ", ".join(f"{name} {value * 100:+.1f}%" for name, value in soak_report["rss_growth"].items()))
    print(f"load average after the run: {report['load_average_after']}")
    (OUT / "turns.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"plot: {plot(systems)}\nnumbers: {OUT / 'turns.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
