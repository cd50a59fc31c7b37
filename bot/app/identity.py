"""Customer identity from the host application's signed token (docs/contracts.md section 4).

A sender id proves nothing; only a verified token (or, later, a one-time code or a
channel's verified address) identifies a customer.
"""
from __future__ import annotations

import time

import jwt

from bot.settings import settings


class InvalidToken(ValueError):
    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired  # a real sign-in that ran out: the customer can simply sign in again


def verify_customer_token(token: str, *, secret: str | None = None) -> str:
    """The lower-cased email the token vouches for; raises InvalidToken otherwise."""
    if not token or not isinstance(token, str):
        raise InvalidToken("no customer token")
    try:
        claims = jwt.decode(
            token, secret or settings().customer_token_secret, algorithms=["HS256"],
            options={"require": ["email", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("customer token has expired", expired=True) from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"customer token rejected: {exc}") from None
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidToken("customer token has no usable email claim")
    return email.strip().lower()


def issue_customer_token(email: str, *, ttl_seconds: int = 3600, secret: str | None = None) -> str:
    """What the host application does for a logged-in user (used by the demo and tests)."""
    claims = {"email": email, "exp": int(time.time()) + ttl_seconds}
    return jwt.encode(claims, secret or settings().customer_token_secret, algorithm="HS256")
