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
"""
from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa_sdk import endpoint
from rasa_sdk.executor import ActionExecutor

from bot.db.session import get_engine

ACTION_THREADS = 16
_worker = threading.local()


class PooledActionExecutor(ActionExecutor):
    """rasa-sdk's executor; `run` (an action call, start to reply) happens in a worker thread."""

    def __init__(self, threads: int = ACTION_THREADS) -> None:
        super().__init__()
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="action")

    async def run(self, action_call: dict) -> dict[str, Any] | None:
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.pool, context.run, self._run_here, action_call)

    def _run_here(self, action_call: dict) -> dict[str, Any] | None:
        return _worker_loop().run_until_complete(super().run(action_call))


def _worker_loop() -> asyncio.AbstractEventLoop:
    """This worker thread's own event loop, made at its first call and kept."""
    if getattr(_worker, "loop", None) is None:
        _worker.loop = asyncio.new_event_loop()
    return _worker.loop


def install() -> None:
    """rasa-sdk's `create_app` builds its executor from this module attribute."""
    get_engine()
    endpoint.ActionExecutor = PooledActionExecutor
