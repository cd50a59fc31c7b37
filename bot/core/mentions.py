"""Amounts and dates a customer mentions ("I was charged $49 on March 3"), parsed and
compared with the payment the rules looked at. Pure: text and `now` in, values out."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from dateutil import parser as dateparser

from bot.core import messages
from bot.core.formatting import Reader
from bot.core.money import exponent

NOT_A_NUMBER = re.compile(r"[^\d.,]")  # currency codes, words and symbols around the number
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")
DAYS_AGO = re.compile(r"(?i)(\d+|a|one|two|three)\s+days?\s+ago")
SMALL_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3}
RELATIVE_DAYS = {"today": 0, "this morning": 0, "tonight": 0, "yesterday": 1, "last night": 1,
                 "the day before yesterday": 2}


def parse_amount(text: str, currency: str) -> int | None:
    """'$49', '49.00 USD', '4,900 yen', '49,50 €' in the currency's minor units; None if unclear."""
    number = NOT_A_NUMBER.sub("", text or "")
    if THOUSANDS.match(number):
        number = number.replace(",", "")
    elif DECIMAL_COMMA.match(number):
        number = number.replace(",", ".")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    minor = value * (10 ** exponent(currency))
    if value < 0 or minor != minor.to_integral_value():
        return None
    return int(minor)


def parse_date(text: str, now: datetime) -> date | None:
    """'yesterday', '3 days ago', 'March 3rd', '2026-03-14', '14/03'; never in the future."""
    lowered = (text or "").strip().lower()
    if lowered in RELATIVE_DAYS:
        return (now - timedelta(days=RELATIVE_DAYS[lowered])).date()
    ago = DAYS_AGO.fullmatch(lowered)
    if ago:
        count = ago.group(1)
        return (now - timedelta(days=SMALL_NUMBERS.get(count) or int(count))).date()
    default = now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    try:
        parsed = dateparser.parse(lowered, default=default, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if parsed.date() > now.date() and not re.search(r"\d{4}", lowered):
        parsed = parsed.replace(year=parsed.year - 1)  # "March 30" said in March means last year's
    return parsed.date() if parsed.date() <= now.date() else None


def mismatch_note(*, mentioned_amount: int | None, mentioned_date: date | None, charge_amount: int,
                  charge_date: date, currency: str, reader: Reader = Reader(),
                  now: datetime | None = None) -> str | None:
    """A sentence when what the customer mentioned is not the payment the rules looked at."""
    amount_differs = mentioned_amount is not None and mentioned_amount != charge_amount
    date_differs = mentioned_date is not None and abs((mentioned_date - charge_date).days) > 1
    if not (amount_differs or date_differs):
        return None
    return messages.mismatch_note(amount=mentioned_amount, on=mentioned_date, charge_amount=charge_amount,
                                  charge_date=charge_date, currency=currency, reader=reader, now=now)
