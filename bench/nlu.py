"""`make bench-nlu`: choose the NLU pipeline by measurement.

Holds out 20 % of the training data (stratified, fixed seed), trains each candidate
pipeline on the rest, evaluates intents on the held-out part with `rasa test nlu`, and
prints accuracy, macro F1 and training time as a ratio to the lightest pipeline. Keeps
each candidate's confusion matrix as bench/out/nlu-<name>-confusion.png.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bot.ops.processes import BIN
from bot.settings import ROOT

OUT = Path(__file__).resolve().parent / "out"
FEATURIZERS = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
]
CANDIDATES = {
    "logreg": FEATURIZERS + [{"name": "LogisticRegressionClassifier", "max_iter": 200}],
    "diet": FEATURIZERS + [{"name": "DIETClassifier", "epochs": 80, "constrain_similarities": True}],
}


def rasa(*args: str) -> None:
    subprocess.run([str(BIN / "rasa"), *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pipeline_config(name: str, work: Path) -> Path:
    pipeline = CANDIDATES[name]
    path = work / f"config-{name}.yml"
    path.write_text(yaml.safe_dump({"recipe": "default.v1", "language": "en", "pipeline": pipeline,
                                    "assistant_id": f"bench-{name}"}))
    return path


def evaluate(name: str, split: Path, work: Path) -> dict:
    print(f"[{name}] training on 80 % ...", flush=True)
    started = time.monotonic()
    rasa("train", "nlu", "--config", str(pipeline_config(name, work)), "--nlu",
         str(split / "training_data.yml"), "--out", str(work), "--fixed-model-name", name)
    train_seconds = time.monotonic() - started
    print(f"[{name}] trained in {train_seconds:.0f} s; testing on the held-out 20 % ...", flush=True)
    results = work / f"results-{name}"
    rasa("test", "nlu", "--model", str(work / f"{name}.tar.gz"), "--nlu", str(split / "test_data.yml"),
         "--out", str(results))
    report = json.loads((results / "intent_report.json").read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(results / "intent_confusion_matrix.png", OUT / f"nlu-{name}-confusion.png")
    return {"accuracy": report["accuracy"], "macro_f1": report["macro avg"]["f1-score"],
            "train_seconds": train_seconds, "support": report["macro avg"]["support"]}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("splitting data/nlu 80/20 (stratified by intent, seed 42) ...", flush=True)
        rasa("data", "split", "nlu", "--nlu", "data/nlu", "--training-fraction", "0.8",
             "--random-seed", "42", "--out", str(work / "split"))
        scores = {name: evaluate(name, work / "split", work) for name in CANDIDATES}
    base = scores["logreg"]["train_seconds"]
    print(f"\n{'pipeline':<10}{'accuracy':>10}{'macro F1':>10}{'train time':>12}   test examples: "
          f"{int(scores['logreg']['support'])}")
    for name, s in scores.items():
        print(f"{name:<10}{s['accuracy']:>10.3f}{s['macro_f1']:>10.3f}{s['train_seconds'] / base:>11.1f}x")
    best = max(scores, key=lambda n: (round(scores[n]["macro_f1"], 3), -scores[n]["train_seconds"]))
    print(f"\nbetter by macro F1: {best}; confusion matrices in {OUT}/nlu-*-confusion.png")
    (OUT / "nlu.json").write_text(json.dumps(scores, indent=2))


if __name__ == "__main__":
    sys.exit(main())
