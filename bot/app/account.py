"""The customer's own account: what they are on, and stopping the renewal."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.app import offers
from bot.app.dependencies import current
from bot.app.results import CancellationResult, CancellationStatus, RenewalState
from bot.billing import ledger
from bot.core import messages, rules
from bot.core.formatting import Reader
from bot.core.plans import display_name
from bot.core.statuses import LedgerStatus, OfferKind
from bot.db import repository
from bot.db.session import reading, unit_of_work
from bot.settings import load_plans


def account_summary(email: str, *, now: datetime, reader: Reader = Reader(), engine: Engine | None = None) -> str:
    """One paragraph a customer reads: plan, status, next and last payment."""
    with unit_of_work(engine) as session:
        account = repository.load_account(session, email)
    sub = account.subscription
    if sub is None:
        return messages.NO_SUBSCRIPTION
    latest = rules.latest_charge(account.charges, now)
    return messages.account_summary(
        plan=display_name(sub.plan, load_plans()), price=sub.price, currency=sub.currency, interval=sub.interval,
        status=sub.status, trial_end=sub.trial_end, cancel_at_period_end=sub.cancel_at_period_end,
        period_end=sub.current_period_end, reader=reader, now=now,
        last_payment=(latest.amount, latest.currency, latest.created, latest.refunded) if latest else None)


def cancel_at_period_end(email: str, *, consent: str | None, gateway=None,
                         engine: Engine | None = None, review: int | None = None) -> CancellationResult:
    """Stop renewal (terms section 9: access continues to the end of the paid period), once, on
    the customer's accepted offer `consent` (bot/app/offers.py); `review` is the R2 decision
    that offer was made for, if any (bot/app/reviews.py)."""
    engine = engine or current().engine()
    with unit_of_work(engine) as session:
        customer = repository.find_customer(session, email)
        offers.require_accepted(session, consent, kind=OfferKind.CANCEL_AT_PERIOD_END, customer=customer,
                                decision_id=review)
        sub = customer.subscription
        if sub is None or sub.status == "canceled" or sub.cancel_at_period_end:
            return CancellationResult(CancellationStatus.NOT_RENEWING, sub.current_period_end if sub else None)
        if sub.stripe_id is None:
            return CancellationResult(CancellationStatus.NOT_ALLOWED, sub.current_period_end)
        key = f"cancel-end-{sub.id}-{sub.current_period_end:%Y%m%d}"
        ledger.record_cancellation(session, subscription=sub, at_period_end=True, decision_id=None, key=key)
        access_until = sub.current_period_end
    entry = ledger.execute(engine, gateway or current().gateway(), key)
    status = {LedgerStatus.SUCCEEDED: CancellationStatus.CANCELLED,
              LedgerStatus.FAILED: CancellationStatus.NOT_ALLOWED}.get(entry.status, CancellationStatus.PENDING)
    return CancellationResult(status, access_until)


def renewal(email: str, *, now: datetime, engine: Engine | None = None) -> RenewalState:
    """Whether the subscription will bill again, and until when access runs (None: it has ended)."""
    with reading(engine) as session:
        sub = repository.find_subscription(session, email)
        if sub is None:
            return RenewalState(renews=False, access_until=None)
        ended = sub.status == "canceled" and (sub.current_period_end <= now or repository.ended_at_once(session, sub))
        return RenewalState(renews=sub.status != "canceled" and not sub.cancel_at_period_end,
                            access_until=None if ended else sub.current_period_end)
