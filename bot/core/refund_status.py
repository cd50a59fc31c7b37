"""Where a refund the customer was given stands (issue 28, class 4): what was refunded and when, and
when it should be on their card. Pure: the account and `now` in, words out."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.case_words import case_status
from bot.core.domain import Account
from bot.core.formatting import Reader, day, money

# "Where is my refund?", "I still haven't received my refund", "did you refund me?": where a refund
# made stands, not a request for one (jon on make run, 2026-12-07, was asked what had happened)
REFUND_STATUS = re.compile(r"""
    \bwhere('?s|\s+is)\s+(my|the)\s+(refund|money)\b
  | \b(haven'?t|have\s+not|not|never|didn'?t|did\s+not)\s+(yet\s+)?(received|receive|got(ten)?|get|seen|see)\s+
    (my\s+|the\s+|a\s+|any\s+)?(refund|money\s+back)\b
  | \bdid\s+(you|it|the\s+refund)\s+(refund|go\s+through|process|come\s+through)
  | \b(status|progress)\s+of\s+(my\s+|the\s+)?refund\b | \brefund\s+status\b
  | \b(has|have|did)\s+(any\s*one|some\s*one|some\s*body|any\s*body|a\s+person|you(r\s+team)?)\s+(looked|checked)\s+
    (at|into|on)\s+(my|the)\s+refund\b
  | \bwhen\s+(will|do|does|would|should)\s+(i|my\s+refund|the\s+refund|it)\s+
    (get|see|receive|arrive|come|show|reach|land)(\s+(my|the|a))?(\s+refund)?
  | \bhas\s+(my|the)\s+refund\s+(been|gone|come)
""", re.IGNORECASE | re.VERBOSE)
# How long a refund to a card takes to arrive (card networks' usual span): said wherever a refund is.
REFUND_DAYS = "5 to 10 business days"
REFUND_TIME = f"Refunds usually reach your card within {REFUND_DAYS}."
# About as long as REFUND_DAYS can take: after it, a person checks with the payment processor.
REFUND_LATE_DAYS = 14


def asks_refund_status(text: str | None) -> bool:
    return bool(REFUND_STATUS.search(text or ""))


def any_refund(account: Account, now: datetime) -> bool:
    """Whether a refund has been made on the account (in its history, or shown by a payment)."""
    return any(r.created <= now for r in account.refunds) or any(c.refunded and c.created <= now
                                                                for c in account.charges)


def refund_status_answer(account: Account, reader: Reader, now: datetime, case: Mapping | None = None) -> str:
    """Where the customer's latest refund stands: what was refunded, when, and when it should be on
    their card; with none made, where their refund case stands (`case`: bot/app/case_status.py),
    or that there is none on the account."""
    if not any_refund(account, now):
        if case:  # asked for, and a person decides it (R2), or has
            return ("No refund has been made. " if case["status"] == "denied" else "No refund has been made yet. ") \
                + case_status(case, reader, now)
        return ("I don't see a refund on your account. If you asked for one, tell me what happened and I'll check "
                "what our policy allows, or a person from our support team can look into it.")
    made = [r for r in account.refunds if r.created <= now]
    if not made:  # the payment mirror shows a refund that the history doesn't date
        refunded = [c for c in account.charges if c.refunded and c.created <= now]
        charge = max(refunded, key=lambda c: c.created)
        back = money(charge.refunded, charge.currency, reader)
        return (f"Your payment of {money(charge.amount, charge.currency, reader)} from "
                f"{day(charge.created, reader, now=now)} has been refunded ({back}). Refunds usually reach your card "
                f"within {REFUND_DAYS} of being made; if it hasn't arrived, a person from our support team can "
                "check it with our payment processor.")
    latest = max(made, key=lambda r: r.created)
    charge = next((c for c in account.charges if c.id == latest.charge_id), None)
    currency = charge.currency if charge else account.subscription.currency if account.subscription else "usd"
    of = f" of your payment of {money(charge.amount, currency, reader)} from {day(charge.created, reader, now=now)}" \
        if charge else ""
    said = (f"On {day(latest.created, reader, now=now)} we refunded {money(latest.amount, currency, reader)}{of}. "
            f"Refunds usually reach your card within {REFUND_DAYS} of being made")
    if now - latest.created > timedelta(days=REFUND_LATE_DAYS):
        return f"{said}, so it should have arrived by now: a person from our support team can check it with our " \
               "payment processor."
    by = day(latest.created + timedelta(days=REFUND_LATE_DAYS), reader, now=now)
    return f"{said}, so it may not show yet; if it hasn't arrived by {by}, a person can check it with our payment " \
           "processor."
