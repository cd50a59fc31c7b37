"""Run a Python module (Rasa, the action server) without third-party deprecation noise.

`python -m bot.ops.quiet MODULE ARGS...` runs MODULE as `python -m MODULE ARGS...` would,
after silencing the deprecation and future warnings that the libraries under Rasa emit
about each other (distutils, pkg_resources, jax, pyparsing): a screenful on every start
that hides the few lines a person needs. Filters alone do not hold (Sanic turns every
DeprecationWarning back on when it is imported), so the silencing is in how warnings are
shown: one that a file of ours raised still shows, and so does everything else Rasa
prints, its training progress included.
"""
from __future__ import annotations

import re
import runpy
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = tuple(str(ROOT / folder) for folder in ("bot", "actions", "channels", "nlu", "tests"))
NOISE = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
# Rasa counts a response as unused unless a story or rule names it, but most of ours are
# sent by custom actions: forty false alarms a training. tests/unit/test_domain.py checks
# instead that every response is used by a rule, a story, a form or an action.
FALSE_ALARMS = re.compile(r"The utterance '\w+' is not used in any story or rule")


def is_noise(category: type[Warning], filename: str, message: str = "") -> bool:
    if issubclass(category, UserWarning) and FALSE_ALARMS.search(message):
        return True
    return issubclass(category, NOISE) and not str(filename).startswith(OURS)


def silence_third_party_warnings() -> None:
    show = warnings.showwarning

    def show_unless_noise(message, category, filename, lineno, file=None, line=None):
        if not is_noise(category, filename, str(message)):
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = show_unless_noise


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m bot.ops.quiet MODULE [ARGS...]")
    silence_third_party_warnings()
    sys.argv = list(argv)
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
