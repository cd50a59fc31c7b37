"""`make bench-actions`' picture: the FAQ turns' latencies quiet and with refunds running, and
each round's p95 (bench/actions.py measures them)."""
from __future__ import annotations

from pathlib import Path

from bench.actions import REFUNDS_AT_ONCE, TARGET, Phase
from bench.turns_stats import percentile


def plot(quiet: list[Phase], loaded: list[Phase], ratio: float, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (spread, rounds) = plt.subplots(1, 2, figsize=(11, 4.2))
    for phases, label, colour in ((quiet, "no refund running", "tab:grey"),
                                  (loaded, f"{REFUNDS_AT_ONCE} refunds at a slow Stripe", "tab:blue")):
        times = sorted(t * 1e3 for phase in phases for t in phase.faq)
        spread.plot(times, [(i + 1) / len(times) for i in range(len(times))], color=colour, label=label)
    everything = [t for phase in quiet + loaded for t in phase.faq]
    spread.set_xlim(0, percentile(everything, 0.995) * 1e3 * 1.2)  # the slowest few would squash the rest
    spread.axhline(0.95, color="black", linewidth=0.6, linestyle=":")
    spread.set(xlabel="FAQ turn (ms)", ylabel="share of turns at most that long",
               title=f"FAQ turns: p95 with refunds / quiet = {ratio:.2f}x (target <= {TARGET}x)")
    spread.legend(fontsize=8)
    numbers = range(1, len(quiet) + 1)
    rounds.bar([n - 0.2 for n in numbers], [percentile(p.faq, 0.95) * 1e3 for p in quiet], 0.4, color="tab:grey",
               label="quiet")
    rounds.bar([n + 0.2 for n in numbers], [percentile(p.faq, 0.95) * 1e3 for p in loaded], 0.4, color="tab:blue",
               label="refunds")
    rounds.set(xlabel="round", ylabel="FAQ p95 (ms)", title="each round's phases", xticks=list(numbers))
    rounds.legend(fontsize=8)
    for ax in (spread, rounds):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
