"""Settings from the environment, each with a default that works on a laptop."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEFAULT_DATABASE = VAR / "grouptrack.db"  # embedded default: SQLite under a git-ignored folder
DEV_EMAIL_SIGNING_KEY = "dev-only-email-signing-key"  # what `make run` signs local inbound mail with
DEV_ACTION_SERVER_SECRET = "dev-only-action-server-secret"  # Rasa and the action server share it


@dataclass(frozen=True)
class Settings:
    database_url: str
    stripe_api_key: str
    stripe_api_base: str | None  # None: real Stripe
    customer_token_secret: str
    policy_file: str | None
    action_server_secret: str = DEV_ACTION_SERVER_SECRET
    # A customer is waiting in the chat: give up on a silent Stripe long before the
    # library's 80 s, leave the movement pending in the ledger and let reconciliation
    # finish it (bot/billing/reconcile.py).
    stripe_timeout_seconds: float = 10.0


def settings() -> Settings:
    env = os.environ
    return Settings(
        database_url=env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE}",
        stripe_api_key=env.get("STRIPE_API_KEY", "sk_test_local"),
        stripe_api_base=env.get("STRIPE_API_BASE", "http://127.0.0.1:8420") or None,
        customer_token_secret=env.get("CUSTOMER_TOKEN_SECRET", "dev-only-customer-token-secret-change-me"),
        policy_file=env.get("POLICY_FILE"),
        action_server_secret=env.get("ACTION_SERVER_SECRET") or DEV_ACTION_SERVER_SECRET,
        stripe_timeout_seconds=_positive_seconds(env, "STRIPE_TIMEOUT_SECONDS", 10.0),
    )


def _positive_seconds(env, name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 300:
        raise ValueError(f"{name} must be between 0 and 300 seconds, not {raw!r}")
    return value
