"""The customer's own facts and "what would happen if", read from their account: the same
snapshot the refund rules decide on, read and never written (no decision record, no case, no
offer, no movement)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.app.dependencies import current
from bot.core import rules
from bot.core.domain import Account, Decision, Reason
from bot.core.plans import Plan, display_name
from bot.core.policy import Policy
from bot.core.what_if import with_charge_at
from bot.db import repository
from bot.db.session import reading
from bot.settings import load_plans


@dataclass(frozen=True)
class OwnAccount:
    account: Account
    plan_name: str       # as customers call it: "Pro monthly"
    plan: Plan | None    # its catalogue entry, when it is still sold


def own_account(email: str, *, engine: Engine | None = None) -> OwnAccount:
    """The account's plain data (raises repository.UnknownCustomer)."""
    with reading(engine or current().engine()) as session:
        account = repository.to_account(repository.find_customer(session, email))
    catalogue = load_plans()
    sub = account.subscription
    return OwnAccount(account, display_name(sub.plan, catalogue) if sub else "",
                      catalogue.get(sub.plan) if sub else None)


def own_account_or_none(email: str, *, engine: Engine | None = None) -> OwnAccount | None:
    """The account's plain data, or None when no customer has that address: what the actions
    ask, since a proven address without an account is a case each of them answers."""
    try:
        return own_account(email, engine=engine)
    except repository.UnknownCustomer:
        return None


def refund_if(own: OwnAccount, reason: Reason, *, now: datetime, charged_at: datetime | None = None,
              policy: Policy | None = None) -> Decision:
    """What the rules would decide if the customer asked now (or had been charged at `charged_at`):
    decided, not recorded."""
    account = with_charge_at(own.account, charged_at, now) if charged_at else own.account
    return rules.decide(account, reason, now, policy or current().policy())
