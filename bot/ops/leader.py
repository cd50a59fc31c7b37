"""Jobs that every replica runs but only one does at a time: `bot reconcile` and `bot email-poll`.

On Kubernetes (deploy/k8s) these run as several pods, or as CronJob runs that may overlap
one another or `make run-prod`'s own; each round, a process first holds the job's lease in
the database (bot/db/leases.py) and does the job only while it holds it. SIGTERM (a rollout,
a node drained) lets the round in progress finish, then hands the lease over at once.
"""
from __future__ import annotations

import signal
import sys
import threading
from datetime import timedelta
from typing import Callable

from bot.clock import now_utc
from bot.db import leases


def lease_length(every: float) -> timedelta:
    """Several rounds and the waits between them, and far beyond any clock skew between hosts: a
    holder that died hands over after this long, one that stopped cleanly at once."""
    return timedelta(seconds=max(30.0, 4 * every))


def run_as_leader(name: str, work: Callable[[], None], *, every: float, once: bool, engine=None,
                  say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> int:
    """`work()` every `every` seconds while this process holds the lease `name`; with `once`, one
    round if no one else holds it. Who does the job is said on stderr, when it changes; the job's
    own output stays alone on stdout. Returns the exit status."""
    me, stop, leading = leases.holder_id(), threading.Event(), None
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        while not stop.is_set():
            now = now_utc()
            holds = leases.hold(name, me, now=now, ttl=lease_length(every), engine=engine)
            if holds != leading:
                say(f"{name}: this process ({me}) does the job" if holds else
                    f"{name}: standing by, {leases.holder_of(name, now=now, engine=engine) or 'another process'} "
                    "does the job")
                leading = holds
            if holds:
                work()
            if once:
                return 0
            stop.wait(every)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        leases.release(name, me, engine=engine)
