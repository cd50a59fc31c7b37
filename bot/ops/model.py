"""The trained Rasa model: cached under a hash of its training data, and checked by SHA-256
before any process loads it (Rasa unpickles parts of an archive)."""
from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from bot.core.constant_time import secret_matches
from bot.ops.processes import quiet_environment, quietly
from bot.ops.stages import elapsed, run_in_stages
from bot.settings import ROOT, VAR

TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "nlu")  # nlu/: our own pipeline components


def training_hash(root: Path = ROOT) -> str:
    """Hash of everything training reads, plus the Rasa version: the model cache key."""
    import rasa  # deferred: importing Rasa takes seconds, and only training and `bot model` need its version
    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for name in TRAINING_INPUTS:
        path = root / name
        if not path.exists():  # a project without components of its own
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class ModelDigestError(ValueError):
    """A model archive that is not the one training wrote (a ValueError: `bot` prints it plainly)."""


def digest_path(model: Path) -> Path:
    return model.with_name(model.name + ".sha256")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_digest(model: Path) -> Path:
    """`sha256sum` format, written whole (replace) so a concurrent reader never sees half a line."""
    path = digest_path(model)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(f"{file_sha256(model)}  {model.name}\n")
    os.replace(partial, path)
    return path


def verify_model(model: Path) -> Path:
    """Refuse an archive whose bytes differ from the digest written when it was trained.

    Rasa unpickles parts of a model archive, so a swapped or damaged one must never be
    loaded. This catches an archive replaced or corrupted after training; it is not a
    signature (whoever can write models/ can write both files)."""
    path = digest_path(model)
    if not model.is_file():
        raise ModelDigestError(f"model {model} does not exist")
    try:
        expected = path.read_text().split()[0].lower()
    except (OSError, IndexError):
        raise ModelDigestError(f"model {model.name} has no digest file {path.name}; refusing to load it "
                               "(delete the archive to retrain)") from None
    actual = file_sha256(model)
    if not secret_matches(expected, actual):
        raise ModelDigestError(f"model {model.name} does not match {path.name} (sha256 {actual}, expected "
                               f"{expected}); refusing to load it (delete the archive to retrain)")
    return model


def model_path(root: Path = ROOT, out: Path | None = None) -> Path:
    """Where the model for the current training data is (or will be) kept."""
    return (out or root / "models") / f"grouptrack-{training_hash(root)}.tar.gz"


def print_checked_model(args) -> int:
    """`bot model`: the checked archive for the current training data, for `rasa run --model`
    where `bot run` does not start Rasa itself (deploy/docker-compose.yml)."""
    print(verify_model(model_path(ROOT)))
    return 0


def ensure_model(root: Path = ROOT, out: Path | None = None) -> Path:
    """Train only when the training data changed; reuse the cached model otherwise."""
    model = model_path(root, out)
    out = model.parent
    if model.exists():
        if not digest_path(model).exists():
            # Trained before digests were kept: trust it once, as the cache always has.
            write_model_digest(model)
        print(f"model {model.name} is up to date (training data unchanged)", flush=True)
        return verify_model(model)
    log, started = VAR / "train.log", time.monotonic()
    print(f"training the Rasa model, as its training data changed (a few minutes; Rasa's whole output: "
          f"{log.relative_to(ROOT) if log.is_relative_to(ROOT) else log}) ...", flush=True)
    run_in_stages(quietly("rasa", "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                          "--out", str(out), "--fixed-model-name", model.name.removesuffix(".tar.gz")),
                  stage=training_stage, log=log, what="training the Rasa model", cwd=root,
                  env=quiet_environment())
    write_model_digest(model)
    print(f"model {model.name} trained in {elapsed(started)}", flush=True)
    return model


# A line of Rasa's log: "2026-12-06 05:35:08 INFO     rasa.engine.training.hooks  - Starting to train ..."
RASA_LOG = re.compile(r"^\S+ \S+ (?P<level>[A-Z]+)\s+(?P<logger>\S+)\s+- (?P<message>.*)$")
TRAINING_STARTS = re.compile(r"Starting to train component '(?P<component>\w+)'")
COMPONENTS = {  # what config.yml's components are, in a few words
    "MemoizationPolicy": "the stories, remembered turn by turn",
    "RulePolicy": "the rules",
    "TEDPolicy": "the dialogue policy",
    "RegexEntityExtractor": "the patterns of emails, amounts and dates",
    "TfidfIntentClassifier": "the intent classifier",
}


def training_stage(line: str) -> str | None:
    """The lines of `rasa train` a person watching needs: each stage as it starts, our own
    components' progress (their `nlu.*` loggers), and errors."""
    logged = RASA_LOG.match(line)
    if logged is None:
        return None
    logger, message = logged["logger"], logged["message"]
    if logger == "rasa.cli.train" and message.startswith("Started validating"):
        return "  checking the training data"
    starts = TRAINING_STARTS.search(message)
    if logger == "rasa.engine.training.hooks" and starts:
        component = starts["component"]
        return f"  training {COMPONENTS[component]} ({component})" if component in COMPONENTS \
            else f"  training {component}"
    if logger.startswith("nlu."):
        return f"    {message}"
    return line if logged["level"] in ("ERROR", "CRITICAL") else None
