"""The rules' explanations: the contract's `explanation`, one sentence for a person reading a
decision (an agent on the case page, `bot decide`, the decision record), written by the pure
rules (bot/core/rules.py). What the customer reads of a decision is bot/core/messages.py's.
"""
from __future__ import annotations

from datetime import datetime

from bot.core.formatting import span
from bot.core.money import format_amount


def _money(amount: int, currency: str) -> str:
    return format_amount(amount, currency)


def explain_trial(trial_end: datetime) -> str:
    return (f"The account is still in its free trial until {trial_end:%Y-%m-%d %H:%M} UTC "
            "and has never been charged; cancelling before then means it is never charged.")


NO_PAYMENT = "There is no payment on this account, so there is nothing to refund."


def explain_already_refunded(charge_id: str, amount: int, currency: str) -> str:
    return (f"The latest payment {charge_id} of {_money(amount, currency)} "
            "has already been refunded, so there is nothing left to refund.")


def explain_courtesy(charge_id: str, base: int, fee: int, refund: int, currency: str, window_hours: int) -> str:
    return (f"Payment {charge_id} of {_money(base, currency)} was made within "
            f"{window_hours} hours, so it qualifies for the one-time "
            f"late-cancellation refund of {_money(refund, currency)} "
            f"({_money(fee, currency)} processing fee kept), and the "
            "subscription ends now.")


def explain_prorated(charge_id: str, base: int, fee: int, refund: int, currency: str, courtesy_used: bool) -> str:
    return (f"A prorated refund of {_money(refund, currency)} for payment {charge_id} "
            f"({_money(base, currency)} unused less a {_money(fee, currency)} "
            "fee) is at the company's discretion, so a support agent will decide"
            + (" (the one-time late-cancellation refund was already used)." if courtesy_used else "."))


def explain_period_over() -> str:
    return ("The period paid for has ended and fees are non-refundable (terms section 4), "
            "so there is no refund; a person can look at it if you disagree.")


NOTHING_LEFT_TO_PRORATE = "Nothing of the paid period is left to prorate, so there is no refund."


def explain_unused(window_hours: int) -> str:
    return ("Customers pay for access, not usage, so an unused account is not refunded "
            f"outside the {window_hours} h window; the subscription can be cancelled at period end.")


def explain_forgotten(window_hours: int) -> str:
    return ("Monitoring the subscription is the account owner's responsibility, so a "
            f"forgotten subscription is not refunded outside the {window_hours} h window; it can "
            "be cancelled at period end.")


def explain_outage_credit(outage_seconds: int, credit: int, currency: str) -> str:
    return (f"A platform incident affected this account for {span(outage_seconds)} in the "
            f"current period, so a credit of {_money(credit, currency)} towards the next "
            "invoice is proposed; a support agent will decide.")


def explain_ticket(ongoing_features: list[str]) -> str:
    known = f" A known issue with {', '.join(ongoing_features)} is being worked on." if ongoing_features else ""
    return ("Problems that are not caused by a lasting platform outage are not refunded; "
            "we will help troubleshoot and open a ticket for the technical team." + known)
