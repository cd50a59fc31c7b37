"""The customer's own account: what they are on, and stopping the renewal."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.billing import ledger
from bot.billing.gateway import StripeGateway
from bot.core import messages, rules
from bot.core.statuses import LedgerStatus
from bot.db import repository
from bot.db.session import get_engine, unit_of_work


def account_summary(email: str, *, now: datetime, engine: Engine | None = None) -> str:
    """One paragraph a customer reads: plan, status, next and last payment."""
    with unit_of_work(engine) as session:
        account = repository.load_account(session, email)
    sub = account.subscription
    if sub is None:
        return messages.NO_SUBSCRIPTION
    latest = rules.latest_charge(account.charges, now)
    return messages.account_summary(
        plan=sub.plan, price=sub.price, currency=sub.currency, interval=sub.interval, status=sub.status,
        trial_end=sub.trial_end, cancel_at_period_end=sub.cancel_at_period_end, period_end=sub.current_period_end,
        last_payment=(latest.amount, latest.currency, latest.created, latest.refunded) if latest else None)


def cancel_at_period_end(email: str, *, gateway=None, engine: Engine | None = None) -> dict:
    """Stop renewal (terms section 9: access continues to the end of the paid period), once."""
    engine = engine or get_engine()
    with unit_of_work(engine) as session:
        customer = repository.find_customer(session, email)
        sub = customer.subscription
        if sub is None or sub.status == "canceled" or sub.cancel_at_period_end:
            return {"status": "not_renewing", "access_until": sub.current_period_end if sub else None}
        if sub.stripe_id is None:
            return {"status": "not_allowed", "access_until": sub.current_period_end}
        key = f"cancel-end-{sub.id}-{sub.current_period_end:%Y%m%d}"
        ledger.record_cancellation(session, subscription=sub, at_period_end=True, decision_id=None, key=key)
        access_until = sub.current_period_end
    entry = ledger.execute(engine, gateway or StripeGateway.from_settings(), key)
    status = {LedgerStatus.SUCCEEDED: "cancelled", LedgerStatus.FAILED: "not_allowed"}.get(entry.status, "pending")
    return {"status": status, "access_until": access_until}


def renewal(email: str, *, engine: Engine | None = None) -> dict:
    """Whether the subscription will bill again, and until when access runs."""
    with unit_of_work(engine) as session:
        sub = repository.find_customer(session, email).subscription
        if sub is None:
            return {"renews": False, "access_until": None}
        return {"renews": sub.status != "canceled" and not sub.cancel_at_period_end,
                "access_until": sub.current_period_end}
