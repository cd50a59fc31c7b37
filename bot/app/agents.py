"""Support agents: accounts for the console, with argon2 password hashes."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import models
from bot.db.session import unit_of_work

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
_hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a real
# check, so response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


class AgentError(ValueError):
    pass


def create_agent(username: str, password: str, display_name: str = "", *,
                 engine: Engine | None = None) -> int:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AgentError("username: 2-64 characters, lowercase letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise AgentError(f"password: at least {MIN_PASSWORD} characters")
    with unit_of_work(engine) as session:
        if session.execute(select(models.Agent).where(models.Agent.username == username)).scalar_one_or_none():
            raise AgentError(f"agent {username!r} already exists")
        agent = models.Agent(username=username, display_name=display_name or username,
                             password_hash=_hasher.hash(password))
        session.add(agent)
        session.flush()
        return agent.id


def roster(*, engine: Engine | None = None) -> dict[str, str]:
    """Every agent's username and display name, by name: whom a case can be assigned to."""
    with unit_of_work(engine) as session:
        return dict(session.execute(select(models.Agent.username, models.Agent.display_name)
                                    .order_by(models.Agent.display_name, models.Agent.username)).all())


def signature(session, username: str | None) -> str:
    """Who a customer hears a decision from: a console agent by name, as in a live chat; anyone
    else (a Slack click, whose username means nothing to a customer) as the support team."""
    known = username and session.execute(select(models.Agent.id).where(models.Agent.username == username)).first()
    return f"agent:{username}" if known else "support_agent"


def authenticate(username: str, password: str, *, engine: Engine | None = None) -> str | None:
    """The agent's username if the password matches, else None."""
    with unit_of_work(engine) as session:
        agent = session.execute(select(models.Agent).where(
            models.Agent.username == (username or "").strip().lower())).scalar_one_or_none()
        stored = agent.password_hash if agent else _DUMMY_HASH
        try:
            _hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if agent is None:
            return None
        if _hasher.check_needs_rehash(agent.password_hash):
            agent.password_hash = _hasher.hash(password)
        return agent.username


SESSION_HOURS = 8  # a working day; then sign in again


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LiveSession(NamedTuple):
    username: str
    csrf: str
    failed_sign_ins: int  # on this account between the previous sign-in and this one
    last_failed_from: str | None
    last_failed_at: datetime | None


def start_session(username: str, *, now: datetime, engine: Engine | None = None, failed_sign_ins: int = 0,
                  last_failed_from: str | None = None, last_failed_at: datetime | None = None) -> tuple[str, str]:
    """A new session for a signed-in agent: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with unit_of_work(engine) as session:
        session.add(models.AgentSession(token_sha256=_digest(token), username=username, csrf_token=csrf,
                                        created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS),
                                        failed_sign_ins=failed_sign_ins, last_failed_from=last_failed_from,
                                        last_failed_at=last_failed_at))
    return token, csrf


def session_for(token: str | None, *, now: datetime, engine: Engine | None = None) -> LiveSession | None:
    """The live session the cookie names, else None."""
    if not token:
        return None
    with unit_of_work(engine) as session:
        row = session.execute(select(models.AgentSession).where(
            models.AgentSession.token_sha256 == _digest(token))).scalar_one_or_none()
        if row is None or row.expires_at <= now:
            return None
        return LiveSession(row.username, row.csrf_token, row.failed_sign_ins, row.last_failed_from,
                           row.last_failed_at)


def end_session(token: str | None, *, engine: Engine | None = None) -> None:
    if not token:
        return
    with unit_of_work(engine) as session:
        row = session.execute(select(models.AgentSession).where(
            models.AgentSession.token_sha256 == _digest(token))).scalar_one_or_none()
        if row is not None:
            session.delete(row)
