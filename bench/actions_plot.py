"""`make bench-actions`' picture: the FAQ turns' latencies quiet, with refunds on another action
server and on theirs, and each round's p95 (bench/actions.py measures them)."""
from __future__ import annotations

from pathlib import Path

from bench.actions import KINDS, REFUNDS_AT_ONCE, TARGET, Phase
from bench.turns_stats import percentile


LOOKS = {"quiet": ("no refund running", "tab:grey"),
         "control": (f"{REFUNDS_AT_ONCE} refunds on another action server", "tab:orange"),
         "refunds": (f"{REFUNDS_AT_ONCE} refunds on this one", "tab:blue")}


def plot(phases: dict[str, list[Phase]], ratio: float, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (spread, rounds) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind in KINDS:
        label, colour = LOOKS[kind]
        times = sorted(t * 1e3 for phase in phases[kind] for t in phase.faq)
        spread.plot(times, [(i + 1) / len(times) for i in range(len(times))], color=colour, label=label)
    everything = [t for kind in KINDS for phase in phases[kind] for t in phase.faq]
    spread.set_xlim(0, percentile(everything, 0.995) * 1e3 * 1.2)  # the slowest few would squash the rest
    spread.axhline(0.95, color="black", linewidth=0.6, linestyle=":")
    spread.set(xlabel="FAQ turn (ms)", ylabel="share of turns at most that long",
               title=f"FAQ p95, refunds here / on another = {ratio:.2f}x (target <= {TARGET}x)")
    spread.legend(fontsize=8)
    numbers = range(1, len(phases["quiet"]) + 1)
    for offset, kind in zip((-0.27, 0.0, 0.27), KINDS):
        rounds.bar([n + offset for n in numbers], [percentile(p.faq, 0.95) * 1e3 for p in phases[kind]], 0.27,
                   color=LOOKS[kind][1], label=kind)
    rounds.set(xlabel="round", ylabel="FAQ p95 (ms)", title="each round's phases", xticks=list(numbers))
    rounds.legend(fontsize=8)
    for ax in (spread, rounds):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
