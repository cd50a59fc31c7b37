"""Running a noisy child process (Rasa's training) as one line per stage.

`rasa train` writes some 37 KB on a first start: a progress bar redrawn for every story
block and epoch, INFO logs, a false alarm about entity extractors. A person needs to see
which stage it is in and, when it fails, everything. So every line goes to a log file, a
terminal sees only the lines `stage` picks out, and a failure prints the whole output (each
progress bar as its last state, not its every redraw) before the error.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")
Stage = Callable[[str], "str | None"]  # a line of output -> what to show for it, or None


class StageFailed(ValueError):
    """The process failed; its whole output has been shown (a ValueError: `bot` prints it plainly)."""


def final_state(raw: bytes) -> str:
    """A line as a terminal would leave it: a progress bar's last redraw, without colours."""
    parts = [part for part in ANSI.sub(b"", raw).split(b"\r") if part.strip()]
    return parts[-1].decode("utf-8", "replace").rstrip() if parts else ""


def run_in_stages(args: list[str], *, stage: Stage, log: Path, what: str, cwd: Path | None = None,
                  env: dict | None = None) -> None:
    """Run `args`; print `stage`'s lines as they come; keep every line in `log`.
    On failure the whole output goes to standard error, and StageFailed says where the log is."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8", buffering=1) as kept, subprocess.Popen(  # line by line, to tail
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        for raw in process.stdout:
            line = final_state(raw)
            if not line:
                continue
            kept.write(line + "\n")
            shown = stage(line)
            if shown:
                print(shown, flush=True)
        code = process.wait()
    if code != 0:
        print(log.read_text(encoding="utf-8"), file=sys.stderr, flush=True)
        raise StageFailed(f"{what} failed (exit {code}); its whole output is above and in {log}")


def elapsed(started: float) -> str:
    seconds = round(time.monotonic() - started)
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60} s"
