"""The turn benchmark's arithmetic: percentiles, a load level's summary, ratios to stock.

Kept apart from the servers and the HTTP load so it can be tested without either."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), without numpy."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class LevelSummary:
    concurrency: int
    turns: int
    errors: int
    p50_ms: float
    p95_ms: float
    turns_per_second: float

    def as_dict(self) -> dict:
        return asdict(self)


def summarize(concurrency: int, latencies: list[float], errors: int, wall_seconds: float) -> LevelSummary:
    """Latencies of the turns that succeeded, in seconds; throughput counts only those too."""
    return LevelSummary(concurrency=concurrency, turns=len(latencies), errors=errors,
                        p50_ms=percentile(latencies, 0.50) * 1e3, p95_ms=percentile(latencies, 0.95) * 1e3,
                        turns_per_second=len(latencies) / wall_seconds if wall_seconds > 0 else math.nan)


def ratio(ours: float, stock: float) -> float:
    return ours / stock if stock else math.nan


def comparison(ours: dict[int, LevelSummary], stock: dict[int, LevelSummary]) -> list[dict]:
    """Per concurrency level both systems ran: our p50, p95 and throughput over stock's.
    Latency ratios above 1 and throughput ratios below 1 mean we are slower."""
    rows = []
    for level in sorted(set(ours) & set(stock)):
        a, b = ours[level], stock[level]
        rows.append({"concurrency": level, "p50_ratio": ratio(a.p50_ms, b.p50_ms),
                     "p95_ratio": ratio(a.p95_ms, b.p95_ms),
                     "throughput_ratio": ratio(a.turns_per_second, b.turns_per_second)})
    return rows


def growth(before: float, after: float) -> float:
    """Relative growth, 0.05 = 5 %."""
    return (after - before) / before if before else math.nan


def per_window_p95(samples: list[tuple[float, float]], window_seconds: float) -> list[float]:
    """`samples` are (seconds since start, latency in seconds): the p95 of each window, in ms."""
    windows: dict[int, list[float]] = {}
    for at, latency in samples:
        windows.setdefault(int(at // window_seconds), []).append(latency)
    return [percentile(windows[index], 0.95) * 1e3 for index in sorted(windows)]
