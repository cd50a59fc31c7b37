"""Facts of the customer's own account that a follow-up about the topic needs and the topic does
not carry: what their plan costs (for "and how much is that?" after "what plan am I on?") and
what their latest refund kept back (for "so how much did you keep?" after the fee was explained)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.app.dependencies import current
from bot.db import repository
from bot.db.repository import UnknownCustomer
from bot.db.session import reading


def plan_price(email: str, *, engine: Engine | None = None) -> dict | None:
    """The subscription's price per interval, or None without one."""
    try:
        with reading(engine or current().engine()) as session:
            sub = repository.load_account(session, email).subscription
    except UnknownCustomer:
        return None
    return None if sub is None else {"price": sub.price, "currency": sub.currency, "interval": sub.interval}


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


def trial(email: str, *, engine: Engine | None = None) -> dict | None:
    """The free trial the customer is in: when it ends and what the first payment after it is;
    None when they are not in one."""
    try:
        with reading(engine or current().engine()) as session:
            sub = repository.load_account(session, email).subscription
    except UnknownCustomer:
        return None
    if sub is None or sub.status != "trialing" or sub.trial_end is None:
        return None
    return {"kind": "trial", "trial_end": sub.trial_end.isoformat(), "price": sub.price, "currency": sub.currency,
            "interval": sub.interval}
