"""Identifying a conversation without a token: a one-time code sent to the account's email.

Codes are six random digits, kept only as an HMAC, valid for a few minutes and for a
few attempts, and bound to the client that asked for them (conversation, channel and the
client's own secret). Nothing tells the person whether an address has an account: a
code is "sent" either way, and only an account's own mailbox ever receives one.

The limits are counted in the database, so they hold across replicas.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from bot.app.dependencies import current
from bot.core import messages
from bot.core.policy import Policy
from bot.db import models
from bot.db.session import unit_of_work
from bot.settings import load_policy, settings


@dataclass(frozen=True)
class Client:
    """Where a conversation's messages come from: its id, its channel, and a secret only that
    client holds (the widget keeps a random one in its storage and sends it with every
    message). A code proves an address for this triple only: whoever merely knows or
    guesses a conversation id, or writes on another channel, proves nothing."""
    conversation_id: str
    channel: str | None
    key: str
    # The network address the message came from, when its channel could tell (the REST
    # channel, from its relays): a client opening chat after chat, each with a fresh key,
    # is still one client to the limits on codes.
    address: str | None = None

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class CodeRequest:
    """How asking for a code went: sent (to the account's mailbox, if the address has one:
    nothing tells), or refused by a limit until `retry_at`."""
    retry_at: datetime | None = None

    @property
    def limited(self) -> bool:
        return self.retry_at is not None


@dataclass(frozen=True)
class CheckResult:
    status: str  # verified | wrong | expired | locked | none
    attempts_left: int = 0
    email: str | None = None


def _hmac(code: str) -> str:
    key = settings().customer_token_secret.encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def send_code(client: Client, email: str, *, now: datetime, engine: Engine | None = None,
              policy: Policy | None = None) -> CodeRequest:
    """Start (or restart) identification, unless too many codes were asked for.

    A new code replaces the client's earlier one. Nothing tells whether the address has an
    account: a code is "sent" either way and only an account's own mailbox receives one."""
    policy = policy or load_policy()
    email = email.strip().lower()
    code = f"{secrets.randbelow(10**6):06d}"
    with unit_of_work(engine) as session:
        retry_at = _next_allowed(session, client, email, now, policy)
        if retry_at is not None:
            return CodeRequest(retry_at)
        exists = session.execute(select(models.Customer.id).where(models.Customer.email == email)).first()
        for old in _pending(session, client):
            old.expires_at = min(old.expires_at, now)  # only the newest code counts
        session.add(models.VerificationCode(
            conversation_id=client.conversation_id, channel=client.channel, client_key_hash=client.key_hash,
            requested_from=client.address, email=email, code_hmac=_hmac(code), created_at=now,
            expires_at=now + timedelta(minutes=policy.code_ttl_minutes), attempts=0))
    if exists:
        subject, body = messages.code_mail(policy.brand, code, policy.code_ttl_minutes)
        current().send_mail(email, subject, body, sender=policy.support_email)
    return CodeRequest()


LIMIT_WINDOW = timedelta(hours=1)


def _next_allowed(session, client: Client, email: str, now: datetime, policy: Policy) -> datetime | None:
    """None when a code may be sent now, else when every limit it meets lets one through.
    Each code allows a few guesses, so codes are limited per conversation; per address from
    one client, which is its key or its network address, across every conversation it opens;
    and per address from anyone, a ceiling on mail high enough that a stranger asking from
    one client cannot use up the owner's own."""
    codes = models.VerificationCode
    same_client = codes.client_key_hash == client.key_hash
    if client.address:
        same_client = or_(same_client, codes.requested_from == client.address)
    limits = [((codes.conversation_id == client.conversation_id,), policy.codes_per_conversation_per_hour),
              ((codes.email == email, same_client), policy.codes_per_address_per_hour),
              ((codes.email == email,), policy.codes_per_address_from_anyone_per_hour)]
    blocked = [at for at in (_frees_at(session, where, limit, now) for where, limit in limits) if at is not None]
    return max(blocked) if blocked else None


def _frees_at(session, where: tuple, limit: int, now: datetime) -> datetime | None:
    """When a limit of `limit` codes an hour lets the next one through; None if it does now.
    That is when the limit-th newest of the hour's codes turns an hour old."""
    codes = models.VerificationCode
    newest = session.execute(select(codes.created_at).where(codes.created_at > now - LIMIT_WINDOW, *where)
                             .order_by(codes.created_at.desc()).limit(max(limit, 0))).scalars().all()
    if len(newest) < limit:
        return None
    return (newest[-1] if newest else now) + LIMIT_WINDOW


def check_code(client: Client, code: str, *, now: datetime, engine: Engine | None = None,
               policy: Policy | None = None) -> CheckResult:
    policy = policy or load_policy()
    with unit_of_work(engine) as session:
        pending = _pending(session, client)
        if not pending:
            return CheckResult("none")
        row = pending[-1]
        if row.expires_at <= now:
            return CheckResult("expired", email=row.email)
        if row.attempts >= policy.code_max_attempts:
            return CheckResult("locked", email=row.email)
        row.attempts += 1
        exists = session.execute(select(models.Customer.id).where(models.Customer.email == row.email)).first()
        if exists and hmac.compare_digest(row.code_hmac, _hmac(code.strip())):
            row.verified_at = now
            return CheckResult("verified", email=row.email)
        left = policy.code_max_attempts - row.attempts
        return CheckResult("wrong" if left else "locked", attempts_left=left, email=row.email)


def verified_email(client: Client, *, now: datetime, engine: Engine | None = None,
                   policy: Policy | None = None) -> str | None:
    """The address this client proved it owns in this conversation, while that proof is fresh."""
    policy = policy or load_policy()
    codes = models.VerificationCode
    with unit_of_work(engine) as session:
        row = session.execute(
            select(codes).where(codes.conversation_id == client.conversation_id, codes.channel == client.channel,
                                codes.client_key_hash == client.key_hash, codes.verified_at.is_not(None))
            .order_by(codes.verified_at.desc())).scalars().first()
        if row and now - row.verified_at <= timedelta(hours=policy.identified_hours):
            return row.email
    return None


def _pending(session, client: Client) -> list[models.VerificationCode]:
    codes = models.VerificationCode
    return list(session.execute(
        select(codes).where(codes.conversation_id == client.conversation_id, codes.channel == client.channel,
                            codes.client_key_hash == client.key_hash, codes.verified_at.is_(None))
        .order_by(codes.id)).scalars())
