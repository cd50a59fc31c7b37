"""Identifying a conversation without a token: a one-time code sent to the account's email.

Codes are six random digits, kept only as an HMAC, valid for a few minutes and for a
few attempts. Nothing tells the person whether an address has an account: a code is
"sent" either way, and only an account's own mailbox ever receives one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core import messages
from bot.core.policy import Policy
from bot.db import models
from bot.db.session import unit_of_work
from bot.email.mailer import send_mail
from bot.settings import load_policy, settings


@dataclass(frozen=True)
class CheckResult:
    status: str  # verified | wrong | expired | locked | none
    attempts_left: int = 0
    email: str | None = None


def _hmac(code: str) -> str:
    key = settings().customer_token_secret.encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def send_code(conversation_id: str, email: str, *, now: datetime, engine: Engine | None = None,
              policy: Policy | None = None) -> None:
    """Start (or restart) identification; a new code replaces any earlier one."""
    policy = policy or load_policy()
    email = email.strip().lower()
    code = f"{secrets.randbelow(10**6):06d}"
    with unit_of_work(engine) as session:
        exists = session.execute(select(models.Customer.id).where(models.Customer.email == email)).first()
        for old in _pending(session, conversation_id):
            old.expires_at = now  # only the newest code counts
        recent = session.execute(select(func.count()).select_from(models.VerificationCode).where(
            models.VerificationCode.email == email,
            models.VerificationCode.created_at > now - timedelta(hours=1))).scalar_one()
        if recent >= policy.codes_per_address_per_hour:
            # Each code allows a few guesses, so unlimited codes (from many conversations)
            # would be unlimited guesses, and a flood of mail. The caller hears the same words.
            return
        session.add(models.VerificationCode(
            conversation_id=conversation_id, email=email, code_hmac=_hmac(code), created_at=now,
            expires_at=now + timedelta(minutes=policy.code_ttl_minutes), attempts=0))
    if exists:
        subject, body = messages.code_mail(policy.brand, code, policy.code_ttl_minutes)
        send_mail(email, subject, body, sender=policy.support_email)


def check_code(conversation_id: str, code: str, *, now: datetime, engine: Engine | None = None,
               policy: Policy | None = None) -> CheckResult:
    policy = policy or load_policy()
    with unit_of_work(engine) as session:
        pending = _pending(session, conversation_id)
        if not pending:
            return CheckResult("none")
        row = pending[-1]
        if row.expires_at <= now:
            return CheckResult("expired")
        if row.attempts >= policy.code_max_attempts:
            return CheckResult("locked")
        row.attempts += 1
        exists = session.execute(select(models.Customer.id).where(models.Customer.email == row.email)).first()
        if exists and hmac.compare_digest(row.code_hmac, _hmac(code.strip())):
            row.verified_at = now
            return CheckResult("verified", email=row.email)
        left = policy.code_max_attempts - row.attempts
        return CheckResult("wrong" if left else "locked", attempts_left=left)


def verified_email(conversation_id: str, *, now: datetime, engine: Engine | None = None,
                   policy: Policy | None = None) -> str | None:
    """The address this conversation proved it owns, while that proof is fresh."""
    policy = policy or load_policy()
    with unit_of_work(engine) as session:
        row = session.execute(
            select(models.VerificationCode)
            .where(models.VerificationCode.conversation_id == conversation_id,
                   models.VerificationCode.verified_at.is_not(None))
            .order_by(models.VerificationCode.verified_at.desc())).scalars().first()
        if row and now - row.verified_at <= timedelta(hours=policy.identified_hours):
            return row.email
    return None


def _pending(session, conversation_id: str) -> list[models.VerificationCode]:
    return list(session.execute(
        select(models.VerificationCode)
        .where(models.VerificationCode.conversation_id == conversation_id,
               models.VerificationCode.verified_at.is_(None))
        .order_by(models.VerificationCode.id)).scalars())
