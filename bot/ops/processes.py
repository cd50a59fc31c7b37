"""Starting servers as child processes, waiting for them, and stopping every one of them."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import ROOT, process_environment

BIN = Path(sys.executable).parent
# Rasa's usage telemetry stays off unless an operator turns it on; SQLAlchemy's banner
# about 2.0 (Rasa's own queries) says nothing a person running us can act on.
QUIET_DEFAULTS = {"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def quietly(module: str, *args: str) -> list[str]:
    """`python -m module args`, without third-party deprecation noise (bot/ops/quiet.py)."""
    return [sys.executable, "-m", "bot.ops.quiet", module, *args]


def quiet_environment(env: dict | None = None) -> dict:
    """`env` (this process's environment by default) with QUIET_DEFAULTS where unset."""
    return {**QUIET_DEFAULTS, **(process_environment() if env is None else env)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered, which is all we wait for
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Stack:
    """The running servers; `stop` ends every one of them."""
    env: dict
    logs: Path | None = None  # a folder for each server's output; None: this terminal
    processes: list = field(default_factory=list)
    urls: dict = field(default_factory=dict)
    log_files: list = field(default_factory=list)

    def launch(self, name: str, args: list[str], log: Path | None = None, env: dict | None = None) -> subprocess.Popen:
        """Start a process in its own session (so `stop` ends its children too); `env` is
        added to the stack's environment for this process only."""
        log = log or (self.logs / f"{name}.log" if self.logs else None)
        out = open(log, "ab") if log else None
        if out:
            self.log_files.append(out)
        process = subprocess.Popen(args, cwd=ROOT, env={**self.env, **(env or {})}, stdout=out,
                                   stderr=subprocess.STDOUT if out else None, start_new_session=True)
        self.processes.append((name, process))
        return process

    def spawn(self, name: str, args: list[str], url: str, ready_url: str, timeout: float,
              log: Path | None = None, env: dict | None = None) -> None:
        """Start a server and wait until it answers at `ready_url`."""
        wait_for_http(ready_url, timeout, self.launch(name, args, log, env))
        self.urls[name] = url

    def serve(self, start) -> int:
        """Run `start()`, then keep the servers in the foreground until Ctrl-C, SIGTERM or
        one of them exits; every server is stopped on the way out."""
        stop_on_sigterm()
        try:
            start()
            while all(p.poll() is None for _n, p in self.processes):
                time.sleep(0.5)
            dead = [n for n, p in self.processes if p.poll() is not None]
            print(f"stopped: {', '.join(dead)} exited", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
            return 0
        finally:
            self.stop()

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        for out in self.log_files:
            out.close()
        self.log_files.clear()


def stop_on_sigterm() -> None:
    """`kill`, a supervisor or `timeout` stops the stack as Ctrl-C does: no orphaned servers."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)
