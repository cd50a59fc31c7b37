"""The action server runs each action call in a bounded pool of threads, off its event loop.

rasa-sdk calls a synchronous `run` on its event loop (docs/pitfalls.md), and our actions are
synchronous: a refund waiting up to STRIPE_TIMEOUT_SECONDS on Stripe, or the ledger's
`time.sleep` while another caller finishes a movement, stalled every other conversation on
the action server. Here rasa-sdk's executor hands each call to a thread of its own, so a slow
call holds one thread and nobody else's turn. rasa-sdk's form validation is asynchronous only
in name (it calls our synchronous validators, which read the database and send email), so
every call goes to the pool; a worker runs a coroutine on an event loop of its own.

What the threads share was checked for it:
- the database: one engine per URL (`bot.db.session.engine_for`, made here before any thread
  could make a second), whose pool lends each unit of work its own connection (SQLite's are
  opened with check_same_thread off, and each is used by one thread at a time);
- Stripe: every use builds its own `StripeGateway`, and stripe-python's requests client keeps
  one HTTP session per thread;
- the clock (`bot.clock`) is a pure call; the policy and plan caches hold pure parses (two
  threads racing parse twice); billing's event handlers are subscribed before serving and
  only read after;
- logs: a call runs in a copy of its request's context, so every line it logs still names
  its conversation (`conversation_id`, set by bot/ops/action_server.py);
- metrics and `logging` lock for themselves.

ACTION_THREADS bounds the pool: past it, calls queue for a thread. A Stripe call holds no
database connection (bot/billing/ledger.py calls Stripe between units of work), so threads
waiting on Stripe do not starve the database pool (PostgreSQL's: 5, and 10 more on demand).

The yes that carries out an offer (MOVES_MONEY) runs in a pool of its own, whose threads the
kernel schedules after the others (Linux: a nice value per thread): carrying out a refund costs
the action server ~15 ms of CPU around its Stripe calls, which on a busy core took turns from the
answers of other conversations (`make bench-actions` measures it). That work waits half a second
on Stripe anyway; an answer is waited for by someone reading. The GIL is still shared, but a
thread holding it past the switch interval (GIL_SWITCH_SECONDS, a fifth of Python's) gives it
up, whatever its priority.
"""
from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
import os
import sys
from typing import Any

from rasa_sdk import endpoint
from rasa_sdk.executor import ActionExecutor

from bot.db.session import get_engine

ACTION_THREADS = 16
MONEY_THREADS = 8
MOVES_MONEY = frozenset({"action_answer_yes"})  # the one action that carries out an offer (actions/answers.py)
BEHIND_ANSWERS = 10  # the money threads' nice value: a tenth of an answer's share of a contended core
GIL_SWITCH_SECONDS = 0.001  # an answering thread waits at most this long for a money thread's GIL
_worker = threading.local()


class PooledActionExecutor(ActionExecutor):
    """rasa-sdk's executor; `run` (an action call, start to reply) happens in a worker thread, of
    the money pool for what carries out an offer."""

    def __init__(self, threads: int = ACTION_THREADS, money_threads: int = MONEY_THREADS) -> None:
        super().__init__()
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="action")
        self.money_pool = ThreadPoolExecutor(money_threads, thread_name_prefix="money",
                                             initializer=behind_answers)

    async def run(self, action_call: dict) -> dict[str, Any] | None:
        context = contextvars.copy_context()
        pool = self.money_pool if action_call.get("next_action") in MOVES_MONEY else self.pool
        return await asyncio.get_running_loop().run_in_executor(pool, context.run, self._run_here, action_call)

    def _run_here(self, action_call: dict) -> dict[str, Any] | None:
        return _worker_loop().run_until_complete(super().run(action_call))


def behind_answers() -> None:
    """This thread, from now on, after the answering threads on a busy core (Linux only: elsewhere
    a nice value is the whole process's, and the pool runs as any other)."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    if os.getpriority(os.PRIO_PROCESS, thread) < BEHIND_ANSWERS:  # never raised: a process started nicer stays so
        os.setpriority(os.PRIO_PROCESS, thread, BEHIND_ANSWERS)


def _worker_loop() -> asyncio.AbstractEventLoop:
    """This worker thread's own event loop, made at its first call and kept."""
    if getattr(_worker, "loop", None) is None:
        _worker.loop = asyncio.new_event_loop()
    return _worker.loop


def install() -> None:
    """rasa-sdk's `create_app` builds its executor from this module attribute."""
    get_engine()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    endpoint.ActionExecutor = PooledActionExecutor
