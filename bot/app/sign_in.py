"""Console sign-in, throttled per username and per address, in the database.

Each try is counted against its address and its username *before* the password is
hashed, with a conditional UPDATE, so neither concurrent tries nor several console
replicas get more than their share. After FREE_FAILURES failures in a row a subject waits
1 s, then 2, 4, ... up to LONGEST_WAIT before its next try; a blocked try is refused
without hashing anything. At most HASHING_AT_ONCE argon2 checks run at once in a process,
so a flood of tries from many addresses costs a bounded share of the CPU. The owner of an
account sees the failed tries since their last sign-in when they sign in.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.app import agents
from bot.db import models
from bot.db.session import unit_of_work

FREE_FAILURES = {"user": 3, "address": 10}  # an office behind one address mistypes too
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # a quiet hour and failures count from zero again
HASHING_AT_ONCE = 2
HASHING_QUEUE_SECONDS = 5.0
LONGEST_PASSWORD = 1024  # argon2 takes any length; nobody types more
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)


@dataclass(frozen=True)
class SignIn:
    """How a try went: `username` when signed in, else `retry_after` seconds when throttled
    (0: the password was wrong). A signed-in agent also learns of the failures before."""
    username: str | None = None
    retry_after: int = 0
    failed_before: int = 0
    last_failed_from: str | None = None
    last_failed_at: datetime | None = None


def wait_after(kind: str, failures: int) -> timedelta:
    """How long a subject waits after its `failures`-th failure in a row."""
    over = failures - FREE_FAILURES[kind]
    return min(timedelta(seconds=2 ** (over - 1)), LONGEST_WAIT) if over > 0 else timedelta(0)


def sign_in(username: str, password: str, *, address: str, now: datetime,
            engine: Engine | None = None) -> SignIn:
    name = (username or "").strip().lower()[:120]
    subjects = [("address", address[:64]), ("user", name)]
    for kind, value in subjects:
        blocked = _count_try(kind, value, now, engine)
        if blocked:
            _seen_by_owner(name, address, now, engine)
            return SignIn(retry_after=blocked)
    signed_in = None
    if len(password or "") <= LONGEST_PASSWORD:
        if not _hashing.acquire(timeout=HASHING_QUEUE_SECONDS):
            return SignIn(retry_after=1)  # the checks running now are enough work for this process
        try:
            signed_in = agents.authenticate(name, password, engine=engine)
        finally:
            _hashing.release()
    if signed_in is None:
        _seen_by_owner(name, address, now, engine)
        return SignIn()
    with unit_of_work(engine) as session:
        user = _row(session, f"user:{name}")
        seen = SignIn(username=signed_in, failed_before=user.unseen_failures,
                      last_failed_from=user.last_failed_from, last_failed_at=user.last_failed_at)
        user.failures = user.unseen_failures = 0
        user.blocked_until = user.last_failed_from = user.last_failed_at = None
        place = _row(session, f"address:{address[:64]}")
        place.failures = max(place.failures - 1, 0)  # this try was counted as a failure in advance
        user.attempts, place.attempts = user.attempts + 1, place.attempts + 1  # a concurrent count looks again
        return seen


def _seen_by_owner(name: str, address: str, now: datetime, engine: Engine | None) -> None:
    """A failed or refused try, kept for the account's owner to see at their next sign-in."""
    with unit_of_work(engine) as session:
        row = _row(session, f"user:{name}")
        session.execute(update(models.SignInThrottle).where(models.SignInThrottle.id == row.id).values(
            unseen_failures=models.SignInThrottle.unseen_failures + 1, last_failed_from=address[:64],
            last_failed_at=now).execution_options(synchronize_session=False))


def _count_try(kind: str, value: str, now: datetime, engine: Engine | None) -> int:
    """Count one try for the subject; 0, or the seconds it must wait (then nothing is counted)."""
    subject = f"{kind}:{value}"
    while True:
        with unit_of_work(engine) as session:
            row = _row(session, subject)
            if row.blocked_until is not None and row.blocked_until > now:
                return max(1, math.ceil((row.blocked_until - now).total_seconds()))
            quiet = row.last_attempt_at is None or now - row.last_attempt_at > FORGET_AFTER
            failures = 1 if quiet else row.failures + 1
            counted = session.execute(
                update(models.SignInThrottle)
                .where(models.SignInThrottle.id == row.id, models.SignInThrottle.attempts == row.attempts)
                .values(attempts=row.attempts + 1, failures=failures, last_attempt_at=now,
                        blocked_until=now + wait_after(kind, failures))
                .execution_options(synchronize_session=False)).rowcount
        if counted:
            return 0  # else another try changed the row in between: look again


def _row(session, subject: str) -> models.SignInThrottle:
    found = session.execute(select(models.SignInThrottle).where(
        models.SignInThrottle.subject == subject)).scalar_one_or_none()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            row = models.SignInThrottle(subject=subject, attempts=0, failures=0, unseen_failures=0)
            session.add(row)
            session.flush()
            return row
    except IntegrityError:  # another try made it first
        return session.execute(select(models.SignInThrottle).where(
            models.SignInThrottle.subject == subject)).scalar_one()
