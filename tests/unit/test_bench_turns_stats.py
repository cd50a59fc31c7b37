"""The turn benchmark's arithmetic (bench/turns_stats.py): no servers, no timing."""
import math

from bench.turns_stats import comparison, growth, per_window_p95, percentile, summarize


def test_percentiles_interpolate_between_ranks_as_numpy_does():
    values = [4.0, 1.0, 3.0, 2.0, 5.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == 4.8
    assert percentile([7.0], 0.95) == 7.0
    assert math.isnan(percentile([], 0.5))


def test_a_level_counts_only_answered_turns_in_its_throughput():
    summary = summarize(5, [0.1, 0.2, 0.3, 0.4], errors=2, wall_seconds=2.0)
    assert (summary.turns, summary.errors, summary.turns_per_second) == (4, 2, 2.0)
    assert summary.p50_ms == 250.0


def test_ratios_compare_the_same_concurrency_only():
    ours = {1: summarize(1, [0.2] * 3, 0, 1.0), 20: summarize(20, [0.4] * 10, 0, 1.0)}
    stock = {1: summarize(1, [0.1] * 3, 0, 1.0), 5: summarize(5, [0.1] * 5, 0, 1.0)}
    [row] = comparison(ours, stock)
    assert row["concurrency"] == 1
    assert row["p95_ratio"] == 2.0 and row["throughput_ratio"] == 1.0


def test_growth_and_per_minute_p95():
    assert growth(100, 105) == 0.05
    assert math.isnan(growth(0, 5))
    samples = [(1.0, 0.1), (30.0, 0.3), (61.0, 0.2)]
    assert per_window_p95(samples, 60) == [percentile([0.1, 0.3], 0.95) * 1e3, 200.0]
