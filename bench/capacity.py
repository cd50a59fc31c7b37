"""`make capacity`: how many pods of each kind serve N turns a second with a turn's p95 within
its target, and the Kubernetes settings that follow (deploy/k8s: the autoscalers' target, the
pods' requests), from each server's measured CPU per turn and memory.

The model. A Rasa or action-server pod is one event loop that works on one turn at a time,
given one core (its CPU request). Seen as a queue (M/M/1), a turn's time in a pod whose core is
busy a fraction u of the time is exponential with mean s/(1 - u), s its CPU per turn, so its p95
is ln(20) s/(1 - u). A turn passes through the widget, Rasa and the action server; giving each
the share of the p95 budget that its own s has, every kind gets the same u:

    u = 1 - ln(20) * (s_widget + s_rasa + s_actions) / (p95 target - what is not CPU)

where what is not CPU is the network and database waits of an idle turn. Kept at u by the
autoscaler (its CPU target is u of the request), a kind needs N * s / (u * request) pods, and
never fewer than two (a node may go, a rollout replaces pods one at a time). The model ignores
what the cluster adds (a pod's CPU shared with others on its node, the autoscaler's minute or
so to add pods): u has that headroom in it, not more. PostgreSQL's share is sized the same way,
as cores for the managed database.

    python -m bench.capacity [--p95 MS] [--measure]

--measure first measures fresh figures (bench/capacity_measure.py, a few minutes) and sizes
from them; without it the figures below, which deploy/k8s is derived from, are used.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "capacity.json"
P95_TARGET_MS = 300.0  # a customer's turn, end to end, most of the time
RATES = (10, 100, 1000)  # turns a second for the table
PEAK = 100  # turns a second the prod overlay's autoscalers may reach (their maxReplicas)
MINIMUM_PODS = 2


@dataclass(frozen=True)
class Figure:
    cpu_ms_per_turn: float
    rss_mib: float
    source: str


# Measured figures, each with where it comes from. CPU per turn of Rasa and the action server: the
# larger of the README's production-shape figures (Rasa 24.6-32.1 ms after the tracker store's cuts,
# the action servers 12.5-19.4 ms after the session start moved, 20 senders) and a fresh
# `python -m bench.capacity --measure` (27.2 and 15.8 ms); the widget's and every resident set from
# that measurement (2026-12-06 05:59 UTC, 150 first turns through the widget, 4 at a time, one
# process of each on the production endpoints, load average 6.9 on 2 cores).
MEASURED = "bench.capacity --measure, 2026-12-06"
FIGURES = {
    "widget": Figure(7.4, 73, MEASURED),
    "rasa": Figure(32.1, 1089, f"README (production shape, tracker store's cuts); RSS {MEASURED}"),
    "actions": Figure(19.4, 94, f"README (production shape, session start moved); RSS {MEASURED}"),
}
POSTGRES_CPU_MS_PER_TURN = 7.7  # README: PostgreSQL ~20 % of a core at 26 turns/s (run G's scratch runs)
# An idle turn's waits (network, databases): run I's make run-prod first-turn p95 at one sender,
# 58.9 ms, less Rasa's and the action server's CPU for it then (about 51 ms).
NOT_CPU_MS = 8.0
REQUEST_CORES = {"widget": 0.5, "rasa": 1.0, "actions": 1.0}
AUTOSCALED = ("widget", "rasa", "actions")


def utilization(figures: dict[str, Figure], p95_ms: float = P95_TARGET_MS, not_cpu_ms: float = NOT_CPU_MS) -> float:
    """The CPU utilization every kind is kept at for a turn's p95 to stay within `p95_ms`."""
    service = sum(f.cpu_ms_per_turn for f in figures.values())
    u = 1 - math.log(20) * service / (p95_ms - not_cpu_ms)
    if u <= 0:
        raise ValueError(f"a p95 of {p95_ms:.0f} ms is out of reach: one idle turn's p95 is "
                         f"{math.log(20) * service + not_cpu_ms:.0f} ms")
    return u


def pods(turns_per_second: float, figure: Figure, u: float, request_cores: float) -> int:
    return max(MINIMUM_PODS, math.ceil(turns_per_second * figure.cpu_ms_per_turn / 1000 / (u * request_cores)))


def memory_request_mib(figure: Figure) -> int:
    """The resident set and a quarter, to 64 MiB: what the scheduler reserves."""
    return 64 * math.ceil(figure.rss_mib * 1.25 / 64)


def memory_limit_mib(figure: Figure) -> int:
    """Twice the resident set, to 256 MiB: a pod past it is restarted rather than starve its node."""
    return 256 * math.ceil(figure.rss_mib * 2 / 256)


def autoscaler_target_percent(u: float) -> int:
    return math.floor(u * 100)


def table(figures: dict[str, Figure], p95_ms: float = P95_TARGET_MS) -> list[dict]:
    u = utilization(figures, p95_ms)
    return [{"turns_per_second": rate, **{kind: pods(rate, f, u, REQUEST_CORES[kind]) for kind, f in figures.items()},
             "postgres_cores": round(rate * POSTGRES_CPU_MS_PER_TURN / 1000 / u, 1)} for rate in RATES]


def report(figures: dict[str, Figure], p95_ms: float) -> str:
    u = utilization(figures, p95_ms)
    lines = [f"p95 target {p95_ms:.0f} ms: every kind kept at {u * 100:.0f} % of its CPU request", "",
             "| kind | CPU per turn | resident | request (CPU, memory) | memory limit | source |",
             "| --- | --- | --- | --- | --- | --- |"]
    for kind, f in figures.items():
        lines.append(f"| {kind} | {f.cpu_ms_per_turn} ms | {f.rss_mib:.0f} MiB | {REQUEST_CORES[kind]:g} core, "
                     f"{memory_request_mib(f)} Mi | {memory_limit_mib(f)} Mi | {f.source} |")
    lines += ["", "| turns/s | " + " | ".join(f"{k} pods" for k in figures) + " | PostgreSQL cores |",
              "| --- | " + " | ".join("---" for _ in figures) + " | --- |"]
    for row in table(figures, p95_ms):
        lines.append(f"| {row['turns_per_second']:,} | " + " | ".join(str(row[k]) for k in figures)
                     + f" | {row['postgres_cores']} |")
    lines += ["", f"autoscalers ({', '.join(AUTOSCALED)}): averageUtilization {autoscaler_target_percent(u)}, "
              f"minReplicas {MINIMUM_PODS}, the prod overlay's maxReplicas the pods at {PEAK} turns/s: "
              + ", ".join(f"{k} {pods(PEAK, figures[k], u, REQUEST_CORES[k])}" for k in AUTOSCALED)]
    return "\n".join(lines)


def measured_figures(logs: Path) -> dict[str, Figure]:
    from bench.capacity_measure import measure, write  # starts servers: only when asked to measure
    result = measure(logs)
    print(f"measured: {write(result, OUT)}\n{result}\n", flush=True)
    source = f"bench.capacity --measure, {result['measured_at']}"
    return {kind: Figure(result["cpu_ms_per_turn"][kind], result["rss_mib"][kind], source)
            for kind in FIGURES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--p95", type=float, default=P95_TARGET_MS, help="a turn's p95 target, in milliseconds")
    parser.add_argument("--measure", action="store_true", help="measure fresh figures first (a few minutes)")
    args = parser.parse_args(argv)
    figures = FIGURES
    if args.measure:
        with tempfile.TemporaryDirectory(prefix="capacity-") as logs:
            figures = measured_figures(Path(logs))
    try:
        print(report(figures, args.p95))
    except ValueError as problem:
        print(f"capacity: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
