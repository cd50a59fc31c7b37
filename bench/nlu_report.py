"""`make bench-nlu`'s numbers, table and plots."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, matthews_corrcoef

from bench.nlu_data import HINT3_OUT_OF_SCOPE

# Published on the same split (HINT3 paper and repository): the bars a pipeline has to clear.
DIALOGFLOW_MCC = 0.638
PARSE_BUDGET_MS = 15.0


@dataclass
class Scores:
    name: str
    accuracy: float
    macro_f1: float
    cv_macro_f1: float
    cv_macro_f1_sd: float
    hint3_mcc: float | None
    hint3_accuracy: float | None
    hint3_in_scope_accuracy: float | None
    parse_p50_ms: float
    parse_p95_ms: float
    train_seconds: float
    confusion: tuple[list[str], list[list[int]]]

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "confusion"}


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """Over the intents that were asked: a fallback counts as a miss, not as a class of its own."""
    return f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)


def scores_for(name: str, held_out: tuple[list[str], list[str]], fold_results: list[tuple[list[str], list[str]]],
               hint3: tuple[list[str], list[str]] | None, latencies: list[float], train_seconds: float) -> Scores:
    truth, predicted = held_out
    fold_f1 = [macro_f1(t, p) for t, p in fold_results]
    labels = sorted(set(truth)) + sorted(set(predicted) - set(truth))
    confusion = confusion_matrix(truth, predicted, labels=labels).tolist()
    hint3_scores = (None, None, None)
    if hint3:
        h_truth, h_predicted = hint3
        in_scope = [i for i, label in enumerate(h_truth) if label != HINT3_OUT_OF_SCOPE]
        hint3_scores = (matthews_corrcoef(h_truth, h_predicted), accuracy_score(h_truth, h_predicted),
                        accuracy_score([h_truth[i] for i in in_scope], [h_predicted[i] for i in in_scope]))
    milliseconds = np.array(latencies) * 1000
    return Scores(name, accuracy_score(truth, predicted), macro_f1(truth, predicted), float(np.mean(fold_f1)),
                  float(np.std(fold_f1)), *hint3_scores, float(np.percentile(milliseconds, 50)),
                  float(np.percentile(milliseconds, 95)), train_seconds, (labels, confusion))


def _cell(value: float | None, digits: int = 3) -> str:
    return "skipped" if value is None else f"{value:.{digits}f}"


def print_table(results: list[Scores], baseline: str, shipped: str, held_out_count: int) -> None:
    base = next((r.train_seconds for r in results if r.name == baseline), results[0].train_seconds)
    print(f"\nown data: {held_out_count} held-out examples; 5-fold CV on all; HINT3 SOFMattress v2 test "
          f"(Dialogflow {DIALOGFLOW_MCC}); parse budget p95 {PARSE_BUDGET_MS:.0f} ms; training time on the 80 % "
          f"as a ratio to {baseline}\n")
    print("| pipeline | held-out accuracy | held-out macro F1 | 5-fold macro F1 | HINT3 MCC | HINT3 accuracy "
          "| HINT3 in-scope accuracy | parse p50 / p95 | training time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        label = f"{r.name} (shipped)" if r.name == shipped else r.name
        print(f"| {label} | {r.accuracy:.3f} | {r.macro_f1:.3f} | {r.cv_macro_f1:.3f} ± {r.cv_macro_f1_sd:.3f} "
              f"| {_cell(r.hint3_mcc)} | {_cell(r.hint3_accuracy, 2)} | {_cell(r.hint3_in_scope_accuracy, 2)} "
              f"| {r.parse_p50_ms:.1f} / {r.parse_p95_ms:.1f} ms | {r.train_seconds / base:.1f}x "
              f"({r.train_seconds:.0f} s) |")


def plot(results: list[Scores], out: Path) -> None:
    import matplotlib  # deferred: only the plots need it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.name for r in results]
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    y = np.arange(len(names))
    axes[0].barh(y - 0.2, [r.macro_f1 for r in results], 0.4, label="held-out")
    axes[0].barh(y + 0.2, [r.cv_macro_f1 for r in results], 0.4, xerr=[r.cv_macro_f1_sd for r in results],
                 label="5-fold")
    axes[0].set(title="own data: macro F1", xlim=(0.5, 1))
    axes[0].legend(loc="lower right")
    axes[1].barh(y, [r.hint3_mcc or 0 for r in results])
    axes[1].axvline(DIALOGFLOW_MCC, color="black", linestyle="--", label=f"Dialogflow {DIALOGFLOW_MCC}")
    axes[1].set(title="HINT3 SOFMattress v2: MCC", xlim=(0.3, 0.8))
    axes[1].legend(loc="lower right")
    axes[2].barh(y - 0.2, [r.parse_p50_ms for r in results], 0.4, label="p50")
    axes[2].barh(y + 0.2, [r.parse_p95_ms for r in results], 0.4, label="p95")
    axes[2].axvline(PARSE_BUDGET_MS, color="black", linestyle="--", label="budget")
    axes[2].set(title="parse latency (ms)")
    axes[2].legend(loc="lower right")
    for axis in axes:
        axis.set_yticks(y)
        axis.set_yticklabels(names if axis is axes[0] else [])
    figure.tight_layout()
    figure.savefig(out / "nlu.png", dpi=110)
    plt.close(figure)
    for r in results:
        labels, matrix = r.confusion
        figure, axis = plt.subplots(figsize=(11, 10))
        axis.imshow(np.array(matrix), cmap="Blues")
        axis.set_xticks(range(len(labels)))
        axis.set_xticklabels(labels, rotation=90)
        axis.set_yticks(range(len(labels)))
        axis.set_yticklabels(labels)
        for (i, j), count in np.ndenumerate(np.array(matrix)):
            if count:
                axis.text(j, i, str(count), ha="center", va="center", fontsize=7)
        axis.set(title=f"{r.name}: own held-out", xlabel="predicted", ylabel="asked")
        figure.tight_layout()
        figure.savefig(out / f"nlu-{r.name}-confusion.png", dpi=100)
        plt.close(figure)
