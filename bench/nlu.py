"""`make bench-nlu`: choose the NLU pipeline by measurement.

For each candidate pipeline, in one run: our own data's stratified held-out 20 % (seed 42;
accuracy, macro F1), 5-fold cross-validation on all of it (macro F1), HINT3 SOFMattress v2
(trained on its train split, Matthews correlation on its test split, out-of-scope counted as
a class), parse latency p50/p95 through the trained model's Agent (in process, over the
held-out messages), and training time as a ratio to today's baseline pipeline. Prints the
table, writes bench/out/nlu.json, a summary plot and each candidate's confusion matrix.
`--only NAME,...` runs some candidates; `--hint3-dir DIR` (or `make bench-nlu HINT3_DIR=DIR`)
reads HINT3 from a local copy when it cannot be downloaded. Then the answers from the knowledge
base (bench/knowledge.py: precision and answered share on held-out folds, cost per question)
and the language detector (bench/languages.py); `--answers-only` runs just those two, without
training any pipeline.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["RASA_MAX_CACHE_SIZE"] = "0"  # Rasa's training cache would make a rerun's training time zero
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import yaml  # noqa: E402  (after the two settings above: Rasa and TensorFlow read them on import)

from bench.knowledge import evaluate as evaluate_knowledge, print_knowledge  # noqa: E402
from bench.languages import evaluate as evaluate_languages, print_languages  # noqa: E402
from bench.nlu_data import HINT3_OUT_OF_SCOPE, held_out_split, hint3, folds, own_data, write  # noqa: E402
from bench.nlu_report import Scores, plot, print_table, scores_for  # noqa: E402
from bot.ops.quiet import silence_third_party_warnings  # noqa: E402
from bot.settings import ROOT  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
BASELINE = "countvec-logreg"
REGEX_ENTITIES = {"name": "RegexEntityExtractor", "case_sensitive": False, "use_lookup_tables": False,
                  "use_regexes": True, "use_word_boundaries": False}
COUNT_FEATURIZERS = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
]


def fallback(threshold: float) -> dict:
    return {"name": "FallbackClassifier", "threshold": threshold, "ambiguity_threshold": 0.1}


def tfidf(spelling: bool, char_ngrams: list[int], encoder_layers: int = 0) -> list[dict]:
    classifier = {"name": "nlu.classifier.TfidfIntentClassifier", "C": 10, "word_ngrams": [1, 2],
                  "char_ngrams": char_ngrams, "spelling": spelling}
    if encoder_layers:
        classifier["sentence_encoder_layers"] = encoder_layers
    return [{"name": "WhitespaceTokenizer"}, classifier, REGEX_ENTITIES, fallback(0.5)]


CANDIDATES = {
    BASELINE: COUNT_FEATURIZERS + [{"name": "LogisticRegressionClassifier", "max_iter": 200}, REGEX_ENTITIES,
                                   fallback(0.6)],
    "diet-small": COUNT_FEATURIZERS + [{"name": "DIETClassifier", "epochs": 100, "number_of_transformer_layers": 0,
                                        "hidden_layers_sizes": {"text": [256, 128]}, "entity_recognition": False,
                                        "constrain_similarities": True}, REGEX_ENTITIES, fallback(0.6)],
    "tfidf-logreg": tfidf(spelling=False, char_ngrams=[1, 4]),
    "tfidf-logreg-spelling": tfidf(spelling=True, char_ngrams=[1, 4]),
    "tfidf-logreg-spelling-char2-5": tfidf(spelling=True, char_ngrams=[2, 5]),
    # all-MiniLM-L6-v2 sentence embeddings beside the n-grams for the messages they are unsure of
    # (weights from a registry package, on disk): the whole encoder, and its first 4 layers
    "tfidf-minilm6-spelling-char2-5": tfidf(spelling=True, char_ngrams=[2, 5], encoder_layers=6),
    "tfidf-minilm4-spelling-char2-5": tfidf(spelling=True, char_ngrams=[2, 5], encoder_layers=4),
}


def shipped_pipeline() -> list[dict]:
    return yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]


class Run:
    """Trains a candidate on some data and parses messages with the result, in this process."""

    def __init__(self, work: Path):
        import asyncio
        import logging

        from rasa.core.agent import Agent  # deferred: Rasa imports for seconds, after the settings above
        from rasa.model_training import train_nlu
        from rasa.utils.log_utils import configure_structlog
        configure_structlog(logging.WARNING)  # else every parse is logged: thousands of lines a run
        self.work, self._loop, self._agent_class, self._train = work, asyncio.new_event_loop(), Agent, train_nlu

    def train(self, name: str, pipeline: list[dict], data, tag: str) -> tuple[object, float]:
        slug = f"{name}-{tag}"
        config = self.work / f"{slug}.yml"
        config.write_text(yaml.safe_dump({"recipe": "default.v1", "language": "en", "pipeline": pipeline,
                                          "assistant_id": f"bench-{slug}"}))
        started = time.monotonic()
        model = self._train(str(config), str(write(data, self.work / f"{slug}-nlu.yml")), str(self.work),
                            fixed_model_name=slug)
        seconds = time.monotonic() - started
        return self._agent_class.load(model), seconds

    def parse(self, agent, texts: list[str]) -> tuple[list[str], list[float]]:
        self._loop.run_until_complete(agent.parse_message("hello"))  # warm-up: the first parse builds caches
        intents, seconds = [], []
        for text in texts:
            started = time.perf_counter()
            parsed = self._loop.run_until_complete(agent.parse_message(text))
            seconds.append(time.perf_counter() - started)
            intents.append(parsed["intent"]["name"])
        return intents, seconds


def evaluate(run: Run, name: str, pipeline: list[dict], own, benchmark) -> Scores:
    train, test = held_out_split(own)
    print(f"[{name}] held-out: training on {len(train.intent_examples)} examples ...", flush=True)
    agent, train_seconds = run.train(name, pipeline, train, "held-out")
    truth = [m.get("intent") for m in test.intent_examples]
    predicted, latencies = run.parse(agent, [m.get("text") for m in test.intent_examples])
    print(f"[{name}] trained in {train_seconds:.0f} s; 5-fold cross-validation ...", flush=True)
    fold_results = []
    for number, (fold_train, fold_test) in enumerate(folds(own), start=1):
        fold_agent, _ = run.train(name, pipeline, fold_train, f"fold{number}")
        fold_predicted, _ = run.parse(fold_agent, [m.get("text") for m in fold_test.intent_examples])
        fold_results.append(([m.get("intent") for m in fold_test.intent_examples], fold_predicted))
        print(f"[{name}]   fold {number}/5 done", flush=True)
    hint3_result = None
    if not isinstance(benchmark, str):
        print(f"[{name}] HINT3 SOFMattress: training on its train split ...", flush=True)
        hint3_agent, _ = run.train(name, pipeline, benchmark.train, "hint3")
        hint3_predicted, _ = run.parse(hint3_agent, [text for text, _ in benchmark.test])
        hint3_result = ([label for _, label in benchmark.test],
                        [HINT3_OUT_OF_SCOPE if p == "nlu_fallback" else p for p in hint3_predicted])
    return scores_for(name, (truth, predicted), fold_results, hint3_result, latencies, train_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-nlu", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated candidate names (default: all, and config.yml's)")
    parser.add_argument("--hint3-dir", type=Path, help="folder with sofmattress_train.csv and sofmattress_test.csv")
    parser.add_argument("--answers-only", action="store_true",
                        help="only the knowledge base's answers and the language detector: no pipeline trained")
    args = parser.parse_args(argv)
    silence_third_party_warnings()
    # First, while the process holds nothing else: the index's memory is measured as it loads.
    knowledge, languages = evaluate_knowledge(), evaluate_languages()
    if args.answers_only:
        print_knowledge(knowledge)
        print_languages(languages)
        return 0
    candidates = dict(CANDIDATES)
    shipped = next((name for name, pipeline in candidates.items() if pipeline == shipped_pipeline()), None)
    if shipped is None:
        shipped = "config.yml"
        candidates[shipped] = shipped_pipeline()
    if args.only:
        candidates = {name: candidates[name] for name in args.only.split(",")}
    print("loading data/nlu and HINT3 SOFMattress v2 ...", flush=True)
    own = own_data()
    benchmark = hint3(args.hint3_dir)
    print(benchmark if isinstance(benchmark, str) else f"HINT3 SOFMattress from {benchmark.source}: "
          f"{len(benchmark.train.intent_examples)} training, {len(benchmark.test)} test messages", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(Path(tmp))
        results = [evaluate(run, name, pipeline, own, benchmark) for name, pipeline in candidates.items()]
    OUT.mkdir(parents=True, exist_ok=True)
    print_table(results, BASELINE, shipped, len(held_out_split(own)[1].intent_examples))
    plot(results, OUT)
    (OUT / "nlu.json").write_text(json.dumps([r.as_dict() for r in results], indent=2))
    print(f"\nplots: {OUT}/nlu.png, {OUT}/nlu-<pipeline>-confusion.png; numbers: {OUT}/nlu.json")
    print_knowledge(knowledge)
    print_languages(languages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
