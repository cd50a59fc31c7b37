"""Starts the local stack: Stripe stand-in, action server, Rasa server.

Used by `bot run` (and so `make run`) and by the end-to-end tests, so the tests
exercise exactly what a developer starts.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.ops.model import ensure_model, verify_model
from bot.ops.processes import BIN, Stack, quiet_environment, quietly
from bot.settings import (
    DEFAULT_DATABASE,
    DEV_ACTION_SERVER_SECRET,
    DEV_CUSTOMER_TOKEN_SECRET,
    DEV_EMAIL_SIGNING_KEY,
    DEV_RASA_AUTH_TOKEN,
    ROOT,
    VAR,
    is_loopback,
    refuse_dev_secrets_off_loopback,
    settings,
)

LOOPBACK_ONLY = Path(__file__).resolve().parent / "loopback_only"  # its sitecustomize.py


def start_localstripe(stack: Stack, port: int, log: Path | None = None) -> str:
    """localstripe (GPL) only ever runs as its own process, from an empty store, and on
    loopback only: it has no host option and no authentication (bot/ops/loopback_only)."""
    url = f"http://127.0.0.1:{port}"
    search_path = os.pathsep.join(p for p in (str(LOOPBACK_ONLY), stack.env.get("PYTHONPATH")) if p)
    stack.spawn("stripe", [str(BIN / "localstripe"), "--port", str(port), "--from-scratch"],
                url, f"{url}/v1/customers", timeout=20, log=log, env={"PYTHONPATH": search_path})
    stack.env["STRIPE_API_BASE"] = url
    return url


def rasa_command(*args: str) -> list[str]:
    """`rasa ARGS` with this project's changes to Rasa installed (bot/ops/rasa_patches.py), quietly."""
    return quietly("bot.ops.rasa_patches", *args)


def action_server_command(port: int) -> list[str]:
    """rasa-sdk's server behind the shared-secret guard (bot/ops/action_server.py), same flags."""
    return quietly("bot.ops.action_server", "--port", str(port), "--actions", "actions")


def rasa_api_arguments(env: dict) -> list[str]:
    """Rasa's HTTP API can replace trackers and resume conversations: never without a token
    (Rasa treats an empty --auth-token as none at all)."""
    token = env.get("RASA_AUTH_TOKEN") or ""
    if not token.strip():
        raise ValueError("RASA_AUTH_TOKEN is empty; Rasa's HTTP API is never started without one")
    return ["--enable-api", "--auth-token", token]


def rasa_cors_arguments(env: dict) -> list[str]:
    """Rasa answers browsers only from RASA_CORS_ORIGINS: its CORS echoes any origin it is
    given with credentials allowed, so '*' would let every site read its answers."""
    origins = settings(env).rasa_cors_origins
    return ["--cors", *origins] if origins else []


def rasa_server_command(env: dict, *, model: Path, port: int) -> list[str]:
    """`rasa run` as `bot run` starts it: on BIND_HOST, its API behind RASA_AUTH_TOKEN."""
    api = [*rasa_api_arguments(env), *rasa_cors_arguments(env), "--interface", settings(env).bind_host]
    return rasa_command("run", "--model", str(model), "--port", str(port), *api,
                        "--credentials", "credentials.yml", "--endpoints", "endpoints.yml")


def start_assistant(stack: Stack, *, model: Path, rasa_port: int, actions_port: int) -> None:
    """The action server, then the Rasa server that calls it, both on BIND_HOST."""
    verify_model(model)
    rasa = rasa_server_command(stack.env, model=model, port=rasa_port)  # refused before anything starts
    actions_url = f"http://127.0.0.1:{actions_port}"
    stack.env["ACTION_ENDPOINT_URL"] = f"{actions_url}/webhook"
    stack.spawn("actions", action_server_command(actions_port), actions_url, f"{actions_url}/health", timeout=90)
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    stack.spawn("rasa", rasa, rasa_url, f"{rasa_url}/", timeout=240)


def start_console(stack: Stack, port: int) -> str:
    """The agent console, telling customers through the Rasa server started before it."""
    stack.env["RASA_URL"] = stack.urls["rasa"]
    url = f"http://127.0.0.1:{port}"
    stack.spawn("console", [str(BIN / "bot"), "console", "--host", settings(stack.env).bind_host, "--port", str(port)],
                url, f"{url}/health", timeout=60)
    return url


def start_widget(stack: Stack, port: int, *, demo_seed: str | None = None) -> str:
    """The widget server; with a demo seed it also serves the demo host page, signing in its customers."""
    stack.env["RASA_URL"] = stack.urls["rasa"]
    url = f"http://127.0.0.1:{port}"
    host = settings(stack.env).bind_host
    args = [str(BIN / "bot"), "widget", "--host", host, "--port", str(port)]
    if demo_seed and is_loopback(host):  # the demo signs customers in: this machine only
        args += ["--demo", "--demo-seed", demo_seed]
    stack.spawn("widget", args, url, f"{url}/health", timeout=60)
    return url


def start_reconciler(stack: Stack, every: float = 15.0) -> None:
    """One reconciler is enough; more are safe (claims are exclusive)."""
    stack.launch("reconciler", [str(BIN / "bot"), "reconcile", "--every", str(every)])


DEMO_AGENT = ("demo", "demo-password")  # only ever created in the throw-away demo database


def create_demo_agent(stack: Stack) -> None:
    env = {**stack.env, "AGENT_PASSWORD": DEMO_AGENT[1]}
    subprocess.run([str(BIN / "bot"), "agent", "create", DEMO_AGENT[0], "--name", "Demo agent"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def seed(stack: Stack, path: str) -> None:
    """`bot seed` in its own process, with the stack's environment (database, Stripe)."""
    subprocess.run([str(BIN / "bot"), "seed", path], cwd=ROOT, env=stack.env, check=True)


def stack_environment() -> dict:
    env = quiet_environment()
    env.setdefault("RASA_AUTH_TOKEN", DEV_RASA_AUTH_TOKEN)
    env.setdefault("CUSTOMER_TOKEN_SECRET", DEV_CUSTOMER_TOKEN_SECRET)
    env.setdefault("EMAIL_WEBHOOK_SIGNING_KEY", DEV_EMAIL_SIGNING_KEY)
    # endpoints.yml sends it to the action server; an empty one would fail every action.
    env["ACTION_SERVER_SECRET"] = env.get("ACTION_SERVER_SECRET") or DEV_ACTION_SERVER_SECRET
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def reset_default_database() -> None:
    for suffix in ("", "-wal", "-shm"):
        DEFAULT_DATABASE.with_name(DEFAULT_DATABASE.name + suffix).unlink(missing_ok=True)
    print(f"fresh demo database {DEFAULT_DATABASE.relative_to(ROOT)} "
          "(the local Stripe starts empty each run)", flush=True)


def run(args) -> int:
    """`bot run`, and so `make run`."""
    env = stack_environment()
    refuse_dev_secrets_off_loopback(settings(env).bind_host, settings(env))
    VAR.mkdir(exist_ok=True)
    model = ensure_model()
    stack = Stack(env=env, logs=None)
    config = settings()

    def start() -> None:
        if not config.stripe_configured:
            if not config.database_configured:
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
        start_widget(stack, args.widget_port, demo_seed=args.seed)
        start_reconciler(stack)
        demo_database = not config.database_configured
        if demo_database:
            create_demo_agent(stack)
        if "stripe" in stack.urls:
            print(f"local Stripe (localstripe)  {stack.urls['stripe']}", flush=True)
        print(f"action server               {stack.urls['actions']}", flush=True)
        print(f"Rasa server (REST channel)  {stack.urls['rasa']}/webhooks/rest/webhook", flush=True)
        origins = ", ".join(settings(stack.env).rasa_cors_origins) or "none: set RASA_CORS_ORIGINS"
        print(f"  socket.io channel         {stack.urls['rasa']}/socket.io  (pages from: {origins})", flush=True)
        print(f"help widget demo page       {stack.urls['widget']}/demo  "
              f"(embed: <script src=\"{stack.urls['widget']}/static/widget.js\" defer>)", flush=True)
        print(f"agent console               {stack.urls['console']}" +
              (f"  (sign in as {DEMO_AGENT[0]} / {DEMO_AGENT[1]})" if demo_database else
               "  (create an agent: bot agent create NAME)"), flush=True)
        # `bot chat` finds Rasa at RASA_URL (default port 5005), which another --port moves.
        chat = ".venv/bin/bot chat" + ("" if stack.urls["rasa"] == config.rasa_url else f" --url {stack.urls['rasa']}")
        print(f"ready. Try the demo page, or in a terminal:  {chat} --as ana@example.com", flush=True)
        print("Ctrl-C stops everything.", flush=True)

    return stack.serve(start)
