"""Who the customer is, from a verified token only (never the sender id or a slot)."""
from __future__ import annotations

from rasa_sdk import Tracker

from bot.identity import InvalidToken, verify_customer_token


def latest_customer_token(tracker: Tracker) -> str | None:
    """The token the host app sent with the customer's most recent message that had one."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            token = (event.get("metadata") or {}).get("customer_token")
            if token:
                return token
    return None


def verified_email(tracker: Tracker) -> str | None:
    """Checked again on every call that reveals data or moves money; None if not verified."""
    token = latest_customer_token(tracker)
    if token is None:
        return None
    try:
        return verify_customer_token(token)
    except InvalidToken:
        return None
