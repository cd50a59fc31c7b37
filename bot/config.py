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


def settings() -> Settings:
    env = os.environ
    return Settings(
        database_url=env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE}",
        stripe_api_key=env.get("STRIPE_API_KEY", "sk_test_local"),
        stripe_api_base=env.get("STRIPE_API_BASE", "http://127.0.0.1:8420") or None,
        customer_token_secret=env.get("CUSTOMER_TOKEN_SECRET", "dev-only-customer-token-secret-change-me"),
        policy_file=env.get("POLICY_FILE"),
        action_server_secret=env.get("ACTION_SERVER_SECRET") or DEV_ACTION_SERVER_SECRET,
    )
