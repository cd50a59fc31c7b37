"""`make test`: lint, validate the training data, make sure a model for it exists, run pytest.

Prints what it is doing at each step; exits non-zero on the first failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from bot.ops.model import ensure_model
from bot.ops.processes import quiet_environment, quietly
from bot.ops.runner import rasa_command
from bot.settings import ROOT


def step(title: str, args: list[str], env: dict | None = None) -> None:
    print(f"\n== {title}", flush=True)
    started = time.monotonic()
    code = subprocess.run(args, cwd=ROOT, env=env).returncode
    print(f"== {title}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    if code != 0:
        sys.exit(code)


def main() -> None:
    env = dict(os.environ)
    if env.get("CI"):
        env["REQUIRE_POSTGRES"] = "1"  # CI machines run PostgreSQL: never skip those tests there
        env["REQUIRE_BROWSER"] = "1"  # and have Debian chromium + chromium-driver (README)
        env["REQUIRE_IMAP"] = "1"  # and Debian's dovecot-imapd
        env["REQUIRE_REDIS"] = "1"  # and Redis on its standard port
        env["REQUIRE_KUBECTL"] = "1"  # and kubectl, which renders deploy/k8s (tests/integration/test_k8s.py)
    # Not --fail-on-warnings: responses sent only by custom actions count as "unused" to Rasa.
    env = quiet_environment(env)
    step("ruff (lint: pyproject.toml's [tool.ruff])", [sys.executable, "-m", "ruff", "check", "."], env)
    step("rasa data validate", quietly("rasa", "data", "validate",
                                       "--config", "config.yml", "--domain", "domain.yml", "--data", "data"), env)
    print("\n== model", flush=True)
    model = ensure_model()
    env["GROUPTRACK_MODEL"] = str(model)
    step("rasa test (dialogue stories)", rasa_command(  # with the patches the Rasa serving customers has
        "test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
        "--fail-on-prediction-errors", "--out", str(ROOT / "results"), "--endpoints", "endpoints.yml"), env)
    step("pytest", [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *sys.argv[1:]], env)


if __name__ == "__main__":
    main()
