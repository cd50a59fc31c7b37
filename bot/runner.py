"""Starts the local stack: Stripe stand-in, action server, Rasa server.

Used by `bot run` (and so `make run`) and by the end-to-end tests, so the tests
exercise exactly what a developer starts.
"""
from __future__ import annotations

import hashlib
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

from bot.constant_time import secret_matches
from bot.config import DEFAULT_DATABASE, DEV_ACTION_SERVER_SECRET, DEV_EMAIL_SIGNING_KEY, ROOT, VAR

BIN = Path(sys.executable).parent
TRAINING_INPUTS = ("config.yml", "domain.yml", "data")


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


def training_hash(root: Path = ROOT) -> str:
    """Hash of everything training reads, plus the Rasa version: the model cache key."""
    import rasa
    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
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


def cmd_model(args) -> int:
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
    print("training the Rasa model (about a minute; Rasa prints its progress) ...", flush=True)
    subprocess.run(
        [str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml",
         "--data", "data", "--out", str(out), "--fixed-model-name", model.name.removesuffix(".tar.gz")],
        cwd=root, check=True)
    write_model_digest(model)
    return model


@dataclass
class Stack:
    """The running servers; `stop` ends every one of them."""
    env: dict
    logs: Path | None = None  # a folder for each server's output; None: this terminal
    processes: list = field(default_factory=list)
    urls: dict = field(default_factory=dict)
    log_files: list = field(default_factory=list)

    def launch(self, name: str, args: list[str], log: Path | None = None) -> subprocess.Popen:
        """Start a process in its own session (so `stop` ends its children too)."""
        log = log or (self.logs / f"{name}.log" if self.logs else None)
        out = open(log, "ab") if log else None
        if out:
            self.log_files.append(out)
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None,
                                   start_new_session=True)
        self.processes.append((name, process))
        return process

    def spawn(self, name: str, args: list[str], url: str, ready_url: str, timeout: float,
              log: Path | None = None) -> None:
        """Start a server and wait until it answers at `ready_url`."""
        wait_for_http(ready_url, timeout, self.launch(name, args, log))
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


def start_localstripe(stack: Stack, port: int, log: Path | None = None) -> str:
    """localstripe (GPL) only ever runs as its own process, from an empty store."""
    url = f"http://127.0.0.1:{port}"
    stack.spawn("stripe", [str(BIN / "localstripe"), "--port", str(port), "--from-scratch"],
                url, f"{url}/v1/customers", timeout=20, log=log)
    stack.env["STRIPE_API_BASE"] = url
    return url


def action_server_command(port: int) -> list[str]:
    """rasa-sdk's server behind the shared-secret guard (bot/action_server.py), same flags."""
    return [sys.executable, "-m", "bot.action_server", "--port", str(port), "--actions", "actions"]


def rasa_api_arguments(env: dict) -> list[str]:
    """Rasa's HTTP API can replace trackers and resume conversations: never without a token
    (Rasa treats an empty --auth-token as none at all)."""
    token = env.get("RASA_AUTH_TOKEN") or ""
    if not token.strip():
        raise ValueError("RASA_AUTH_TOKEN is empty; Rasa's HTTP API is never started without one")
    return ["--enable-api", "--auth-token", token]


def start_assistant(stack: Stack, *, model: Path, rasa_port: int, actions_port: int) -> None:
    """The action server, then the Rasa server that calls it."""
    verify_model(model)
    api = rasa_api_arguments(stack.env)
    actions_url = f"http://127.0.0.1:{actions_port}"
    stack.env["ACTION_ENDPOINT_URL"] = f"{actions_url}/webhook"
    stack.spawn("actions", action_server_command(actions_port), actions_url, f"{actions_url}/health", timeout=90)
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    stack.spawn("rasa", [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(rasa_port), *api,
                         "--cors", "*", "--credentials", "credentials.yml",
                         "--endpoints", "endpoints.yml"],
                rasa_url, f"{rasa_url}/", timeout=240)


def start_console(stack: Stack, port: int) -> str:
    """The agent console, telling customers through the Rasa server started before it."""
    stack.env["RASA_URL"] = stack.urls["rasa"]
    url = f"http://127.0.0.1:{port}"
    stack.spawn("console", [str(BIN / "bot"), "console", "--port", str(port)], url, f"{url}/health",
                timeout=60)
    return url


def start_widget(stack: Stack, port: int, *, demo_customers: tuple[str, ...] = ()) -> str:
    """The widget server; with demo customers it also serves the demo host page."""
    stack.env["RASA_URL"] = stack.urls["rasa"]
    url = f"http://127.0.0.1:{port}"
    args = [str(BIN / "bot"), "widget", "--port", str(port)]
    if demo_customers:
        args += ["--demo", "--demo-customers", ",".join(demo_customers)]
    stack.spawn("widget", args, url, f"{url}/health", timeout=60)
    return url


def start_reconciler(stack: Stack, every: float = 15.0) -> None:
    """One reconciler is enough; more are safe (claims are exclusive)."""
    stack.launch("reconciler", [str(BIN / "bot"), "reconcile", "--every", str(every)])


DEMO_CUSTOMERS = ("ana@example.com", "ben@example.com", "carla@example.com", "finn@example.com")
DEMO_AGENT = ("demo", "demo-password")  # only ever created in the throw-away demo database


def create_demo_agent(stack: Stack) -> None:
    env = {**stack.env, "AGENT_PASSWORD": DEMO_AGENT[1]}
    subprocess.run([str(BIN / "bot"), "agent", "create", DEMO_AGENT[0], "--name", "Demo agent"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def seed(stack: Stack, path: str) -> None:
    """`bot seed` in its own process, with the stack's environment (database, Stripe)."""
    subprocess.run([str(BIN / "bot"), "seed", path], cwd=ROOT, env=stack.env, check=True)


def stack_environment() -> dict:
    env = dict(os.environ)
    env.setdefault("RASA_AUTH_TOKEN", "dev-only-rasa-token")
    env.setdefault("CUSTOMER_TOKEN_SECRET", "dev-only-customer-token-secret-change-me")
    env.setdefault("EMAIL_WEBHOOK_SIGNING_KEY", DEV_EMAIL_SIGNING_KEY)
    # endpoints.yml sends it to the action server; an empty one would fail every action.
    env["ACTION_SERVER_SECRET"] = env.get("ACTION_SERVER_SECRET") or DEV_ACTION_SERVER_SECRET
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def stop_on_sigterm() -> None:
    """`kill`, a supervisor or `timeout` stops the stack as Ctrl-C does: no orphaned servers."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


def reset_default_database() -> None:
    for suffix in ("", "-wal", "-shm"):
        DEFAULT_DATABASE.with_name(DEFAULT_DATABASE.name + suffix).unlink(missing_ok=True)
    print(f"fresh demo database {DEFAULT_DATABASE.relative_to(ROOT)} "
          "(the local Stripe starts empty each run)", flush=True)


def cmd_run(args) -> int:
    VAR.mkdir(exist_ok=True)
    model = ensure_model()
    stack = Stack(env=stack_environment(), logs=None)

    def start() -> None:
        if "STRIPE_API_BASE" not in os.environ:
            if "DATABASE_URL" not in os.environ:
                # localstripe starts empty, so ids kept from an earlier run point nowhere.
                reset_default_database()
            start_localstripe(stack, args.stripe_port, log=VAR / "stripe.log")
            print(f"local Stripe (localstripe)  {stack.env['STRIPE_API_BASE']}  (log: var/stripe.log)",
                  flush=True)
        print(f"seeding demo customers from {args.seed} ...", flush=True)
        seed(stack, args.seed)
        # Slack announcements link to the console, which starts after the action server.
        stack.env.setdefault("CONSOLE_URL", f"http://127.0.0.1:{args.console_port}")
        start_assistant(stack, model=model, rasa_port=args.port, actions_port=args.actions_port)
        start_console(stack, args.console_port)
        start_widget(stack, args.widget_port, demo_customers=DEMO_CUSTOMERS)
        start_reconciler(stack)
        demo_database = "DATABASE_URL" not in os.environ
        if demo_database:
            create_demo_agent(stack)
        if "stripe" in stack.urls:
            print(f"local Stripe (localstripe)  {stack.urls['stripe']}", flush=True)
        print(f"action server               {stack.urls['actions']}", flush=True)
        print(f"Rasa server (REST channel)  {stack.urls['rasa']}/webhooks/rest/webhook", flush=True)
        print(f"help widget demo page       {stack.urls['widget']}/demo  "
              f"(embed: <script src=\"{stack.urls['widget']}/static/widget.js\" defer>)", flush=True)
        print(f"agent console               {stack.urls['console']}" +
              (f"  (sign in as {DEMO_AGENT[0]} / {DEMO_AGENT[1]})" if demo_database else
               "  (create an agent: bot agent create NAME)"), flush=True)
        print("ready. Try:  .venv/bin/bot token ana@example.com   and README 'Talk to it'.", flush=True)
        print("Ctrl-C stops everything.", flush=True)

    return stack.serve(start)


def add_run_command(sub) -> None:
    p = sub.add_parser("run", help="train if needed, seed the demo, start every server")
    p.add_argument("--port", type=int, default=5005, help="Rasa server port")
    p.add_argument("--actions-port", type=int, default=5055)
    p.add_argument("--stripe-port", type=int, default=8420)
    p.add_argument("--console-port", type=int, default=5080)
    p.add_argument("--widget-port", type=int, default=5090)
    p.add_argument("--seed", default=str(ROOT / "seeds" / "demo.yml"))
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("model", help="print the trained model for the current data, after checking its SHA-256")
    p.set_defaults(func=cmd_model)
