"""The data `make bench-nlu` trains and tests on: our own (data/nlu), split and folded the
same way every run, and HINT3's SOFMattress v2 (real support-chat queries to a mattress
shop, out-of-scope ones labelled NO_NODES_DETECTED), fetched into a git-ignored cache.

HINT3 is never committed nor copied into data/: it is a yardstick for the pipeline, trained
on its own train split and scored on its own test split.
"""
from __future__ import annotations

import csv
import hashlib
import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.model_selection import StratifiedKFold

from bot.settings import ROOT, VAR

SEED = 42
HINT3_CACHE = VAR / "cache" / "hint3"
HINT3_URL = "https://raw.githubusercontent.com/hellohaptik/HINT3/master/dataset/v2/{split}/sofmattress_{split}.csv"
HINT3_SHA256 = {"train": "0addf4dc4b9df1e71509da5318d5a9f6e9a5d6eb98b9584d55cab3da7badf4b1",
                "test": "9c4746f7cf445b5db276260e1c05b9e7b102fa2bca0ce1ace20f51df0ba53aae"}
HINT3_OUT_OF_SCOPE = "NO_NODES_DETECTED"


def own_data() -> TrainingData:
    return load_data(str(ROOT / "data" / "nlu"))


def held_out_split(data: TrainingData) -> tuple[TrainingData, TrainingData]:
    """80/20, stratified by intent (Rasa's own split, as `rasa data split nlu` makes it), seed 42."""
    return data.train_test_split(train_frac=0.8, random_seed=SEED)


def folds(data: TrainingData, count: int = 5) -> list[tuple[TrainingData, TrainingData]]:
    examples = data.intent_examples
    intents = [e.get(INTENT) for e in examples]
    splitter = StratifiedKFold(count, shuffle=True, random_state=SEED)
    return [(_with_examples(data, [examples[i] for i in train]), _with_examples(data, [examples[i] for i in test]))
            for train, test in splitter.split(examples, intents)]


def _with_examples(data: TrainingData, examples: list[Message]) -> TrainingData:
    return TrainingData(training_examples=examples, entity_synonyms=data.entity_synonyms,
                        regex_features=data.regex_features, lookup_tables=data.lookup_tables)


def write(data: TrainingData, path: Path) -> Path:
    path.write_text(RasaYAMLWriter().dumps(data))
    return path


@dataclass
class Benchmark:
    train: TrainingData
    test: list[tuple[str, str]]  # (text, intent or HINT3_OUT_OF_SCOPE)
    source: str


def _hint3_rows(text: str) -> list[tuple[str, str]]:
    return [(row["sentence"].strip(), row["label"].strip()) for row in csv.DictReader(io.StringIO(text))
            if row["sentence"].strip()]


def _download(split: str) -> str:
    with urllib.request.urlopen(HINT3_URL.format(split=split), timeout=20) as response:
        body = response.read()
    if hashlib.sha256(body).hexdigest() != HINT3_SHA256[split]:
        raise ValueError(f"sofmattress_{split}.csv is not the v2 file this bench knows (checksum differs)")
    HINT3_CACHE.mkdir(parents=True, exist_ok=True)
    (HINT3_CACHE / f"sofmattress_{split}.csv").write_bytes(body)
    return body.decode("utf-8")


def hint3(local_copy: Path | None) -> Benchmark | str:
    """HINT3 SOFMattress v2, or one line saying why it can't be had."""
    texts = {}
    for split in ("train", "test"):
        for folder in ([local_copy] if local_copy else []) + [HINT3_CACHE]:
            if (folder / f"sofmattress_{split}.csv").is_file():
                texts[split] = (folder / f"sofmattress_{split}.csv").read_text(encoding="utf-8")
                break
        else:
            try:
                texts[split] = _download(split)
            except (urllib.error.URLError, OSError, ValueError) as error:
                return (f"HINT3 SOFMattress skipped: could not download it ({error}); put sofmattress_train.csv and "
                        f"sofmattress_test.csv from the HINT3 repository's dataset/v2 in a folder and run "
                        f"`make bench-nlu HINT3_DIR=that-folder`")
    train = [Message(data={TEXT: text, INTENT: label}) for text, label in _hint3_rows(texts["train"])]
    source = f"{local_copy}" if local_copy else f"{HINT3_CACHE.relative_to(ROOT)}"
    return Benchmark(TrainingData(training_examples=train), _hint3_rows(texts["test"]), source)
