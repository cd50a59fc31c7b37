"""Leases: a job that one process among all the replicas runs at a time (the reconciler, the
IMAP poller), decided in the database every replica shares.

Whoever holds a job's row until its expiry does the job and renews the row each round;
the others stand by and take it over once it lapses (a holder that died) or is released (a
holder that stopped cleanly). Taking is one conditional UPDATE, else one INSERT on the
primary key, so two processes can never both take it: PostgreSQL re-checks the UPDATE's
condition against a row another transaction just changed, and SQLite serialises writers.
A lease makes the job run once, not safely: the jobs stay correct if it ever fails (the
ledger's claims are exclusive, the email channel refuses a message twice), it saves the
duplicate work and the races around it. Expiry is read on the holders' clocks, so a lease
lasts far longer than any skew between hosts.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.db.models import Lease
from bot.db.session import unit_of_work


def holder_id() -> str:
    """This process, as operators see it: its host (the pod's name) and pid, and a nonce for a reused pid."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


def hold(name: str, holder: str, *, now: datetime, ttl: timedelta, engine=None) -> bool:
    """Take the lease or renew it until `now + ttl`; False while another holder's is current."""
    until = now + ttl
    with unit_of_work(engine) as session:
        renewed = session.execute(update(Lease).where(
            Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
            .values(holder=holder, expires_at=until).execution_options(synchronize_session=False)).rowcount
    if renewed:
        return True
    try:
        with unit_of_work(engine) as session:
            session.add(Lease(name=name, holder=holder, expires_at=until))
        return True
    except IntegrityError:  # someone holds it (or took it a moment ago)
        return False


def release(name: str, holder: str, *, engine=None) -> None:
    """Hand the job over at once (a clean stop), if this holder still has it."""
    with unit_of_work(engine) as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder)
                        .execution_options(synchronize_session=False))


def holder_of(name: str, *, now: datetime, engine=None) -> str | None:
    """Who holds the lease now, if anyone."""
    with unit_of_work(engine) as session:
        return session.execute(select(Lease.holder).where(Lease.name == name, Lease.expires_at > now)).scalar()
