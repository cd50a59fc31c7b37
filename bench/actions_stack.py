"""`make bench-actions`' stack (bench/actions.py says what it measures): `make run`'s servers
on free ports, a slow Stripe, the second Rasa for the refunds, the control's action server
and Rasa, and which core each of them runs on."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port
from bot.ops.runner import (action_server_command, rasa_server_command, seed, stack_environment, start_assistant,
                            start_localstripe)

CUSTOMER = """  - email: {email}
    created: 2026-01-22T10:00:00Z
    subscription: {{plan: pro-monthly, price: 4900, currency: usd, interval: month, status: active,
                   current_period_start: 2026-11-22T10:00:00Z, current_period_end: 2026-12-22T10:00:00Z}}
    charges:
      - {{id: ch_bench_{n}, amount: 4900, currency: usd, created: 2026-11-22T10:00:00Z}}
"""


def seed_text(count: int) -> str:
    """`count` customers charged two hours before `relative_to`, still renewing: each owed R1."""
    return "relative_to: 2026-11-22T12:00:00Z\ncustomers:\n" + "".join(
        CUSTOMER.format(email=f"refund{n}@bench.example", n=n) for n in range(count))


@dataclass
class Bench:
    faq_url: str  # a Rasa server's REST webhook
    refund_url: str  # the other Rasa server's, on the same action server
    control_url: str  # a third Rasa server's, on an action server of its own
    secret: str  # CUSTOMER_TOKEN_SECRET
    customers: list[str]  # emails not yet refunded
    faq_sender: str = ""
    faq_turns: int = 0


def start(logs: Path, customers: int, delay: float) -> tuple[Stack, Bench]:
    env = stack_environment()
    env.update(DATABASE_URL=f"sqlite:///{logs}/bench.db", STRIPE_API_KEY="sk_test_bench",
               OUTBOX_DIR=str(logs / "outbox"))
    stack = Stack(env=env, logs=logs)
    try:
        stripe = start_localstripe(stack, free_port())
        (logs / "customers.yml").write_text(seed_text(customers))
        print(f"seeding {customers} customers owed a refund ...", flush=True)
        seed(stack, str(logs / "customers.yml"))
        # In a process of its own: its threads would otherwise share this one's with the timing.
        port = free_port()
        proxy = f"http://127.0.0.1:{port}"
        stack.spawn("stripe-proxy", [sys.executable, "-m", "tests.support.stripe_proxy", stripe, "--port", str(port),
                                     "--delay", str(delay)], proxy, f"{proxy}/v1/customers", timeout=30)
        stack.env["STRIPE_API_BASE"] = proxy  # the action server's Stripe answers `delay` late
        elsewhere(stack, "stripe", "stripe-proxy")
        print("starting the action server and two Rasa servers calling it, and the control's ...", flush=True)
        model = ensure_model()
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=free_port())
        url = start_rasa(stack, "rasa-refunds", model)
        control = start_control(stack, model)
        elsewhere(stack, "rasa-refunds", "actions-control", "rasa-control")
        here(stack, "actions", "rasa")
    except BaseException:
        stack.stop()
        raise
    return stack, Bench(f"{stack.urls['rasa']}/webhooks/rest/webhook", f"{url}/webhooks/rest/webhook",
                        f"{control}/webhooks/rest/webhook", env["CUSTOMER_TOKEN_SECRET"],
                        [f"refund{n}@bench.example" for n in range(customers)])


def start_control(stack: Stack, model: Path) -> str:
    """The control's action server and the Rasa server calling it; returns that Rasa's URL."""
    port = free_port()
    actions = f"http://127.0.0.1:{port}"
    stack.spawn("actions-control", action_server_command(port), actions, f"{actions}/health", timeout=90)
    return start_rasa(stack, "rasa-control", model, env={"ACTION_ENDPOINT_URL": f"{actions}/webhook"})


def start_rasa(stack: Stack, name: str, model: Path, env: dict | None = None) -> str:
    """One more Rasa server on a free port (calling the stack's action server unless `env` names
    another); returns its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack.spawn(name, rasa_server_command(stack.env, model=model, port=port), url, f"{url}/", timeout=240, env=env)
    return url


# The stand-ins for other machines get the last core, the measured servers the others: on one
# core they share it, and only the stand-ins' lower priority sets them apart.
_CORES = sorted(os.sched_getaffinity(0))
ELSEWHERE = {_CORES[-1]}
HERE = set(_CORES[:-1]) or ELSEWHERE


def elsewhere(stack: Stack, *names: str) -> None:
    """Every thread of the named servers on the stand-ins' core, at the lowest CPU priority
    (Linux sets both per thread; threads started later inherit them)."""
    for thread in _threads(stack, names):
        os.setpriority(os.PRIO_PROCESS, thread, 19)
        os.sched_setaffinity(thread, ELSEWHERE)


def here(stack: Stack, *names: str) -> None:
    """Every thread of the named servers on the measured cores."""
    for thread in _threads(stack, names):
        os.sched_setaffinity(thread, HERE)


def _threads(stack: Stack, names: tuple[str, ...]) -> list[int]:
    return [int(thread.name) for name, process in stack.processes if name in names
            for thread in Path(f"/proc/{process.pid}/task").iterdir()]
