"""Facts of the customer's own account that a follow-up about the topic needs and the topic does
not carry: what their latest refund kept back (for "so how much did you keep?" after the fee was
explained). The account's topic carries the plan's price itself (bot/core/facts.py account_topic)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.app.dependencies import current
from bot.db import repository
from bot.db.repository import UnknownCustomer
from bot.db.session import reading


def latest_refund(email: str, *, now: datetime, engine: Engine | None = None) -> dict | None:
    """The newest payment that was partly or wholly refunded: what was paid, returned and kept."""
    try:
        with reading(engine or current().engine()) as session:
            charges = repository.load_account(session, email).charges
    except UnknownCustomer:
        return None
    refunded = [c for c in charges if c.refunded and c.created <= now]
    if not refunded:
        return None
    charge = max(refunded, key=lambda c: c.created)
    return {"charge_amount": charge.amount, "refunded": charge.refunded, "kept": charge.amount - charge.refunded,
            "currency": charge.currency, "charged_on": charge.created.isoformat()}

