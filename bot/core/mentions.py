"""Amounts and dates a customer mentions ("I was charged $49 on March 3"), parsed and
compared with the payment the rules looked at, and whether they ask for money back at all.
Pure: text and `now` in, values out.

A date without a year, month or week ("the 22nd", "last Monday", "March 3") is the most
recent such day on or before the day the customer wrote, in their time zone when known:
"the 22nd" written on 2 December is 22 November.
"""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser

from bot.core import messages
from bot.core.formatting import Reader
from bot.core.money import exponent

NOT_A_NUMBER = re.compile(r"[^\d.,]")  # currency codes, words and symbols around the number
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")
AGO = re.compile(r"(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+(day|week)s?\s+ago")
SMALL_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10}
RELATIVE_DAYS = {"today": 0, "this morning": 0, "tonight": 0, "yesterday": 1, "last night": 1,
                 "the day before yesterday": 2}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY = re.compile(r"(?:(last|this past|past|on)\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?")
DAY_OF_MONTH = re.compile(r"(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+of\s+(?:this|the)\s+month)?")
# No payment has more digits before the point: a longer number is not an amount anyone paid
# (and would outgrow Decimal's 28-digit arithmetic below).
MOST_WHOLE_DIGITS = 15

# Words that ask for money back, not merely report a problem ("the scheduler is broken").
# "the unused part back", "what's left of my payment returned": the money not yet used, asked back.
MONEY_ASKED = re.compile(r"\b(refund\w*|money back|paid back|pay me back|reimburs\w*|compensat\w*|credit(?!\s*card)|"
                         r"charge ?back|discount|prorat\w*|"
                         r"(unused|remaining|left ?over|what'?s left)\b[^.?!]{0,40}\b(back|returned))\b", re.IGNORECASE)


def parse_amount(text: str, currency: str) -> int | None:
    """'$49', '49.00 USD', '4,900 yen', '49,50 €' in the currency's minor units; None if unclear."""
    number = NOT_A_NUMBER.sub("", text or "")
    if THOUSANDS.match(number):
        number = number.replace(",", "")
    elif DECIMAL_COMMA.match(number):
        number = number.replace(",", ".")
    if len(number.split(".")[0]) > MOST_WHOLE_DIGITS:
        return None
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    minor = value * (10 ** exponent(currency))
    if value < 0 or minor != minor.to_integral_value():
        return None
    return int(minor)


def asks_for_money(text: str) -> bool:
    """Whether the customer asked for money back (a refund, a credit, compensation)."""
    return bool(MONEY_ASKED.search(text or ""))


# Topics where something went wrong or was decided: money asked for then is amends, not a price.
AMENDS_AFTER = frozenset({"decision", "case", "incident"})
_GENERAL_DISCOUNT = re.compile(r"\b(do|does|can|could)\s+(you|they|we)\s+(do|offer|have|give)\s+(any\s+)?discounts\b"
                               r"|\bdiscounts?\s+for\s+(non-?profits?|charit|students?|schools?|teams?|start-?ups?)"
                               r"|\b(yearly|annual\w*|per\s+year|a\s+year|plans?|pricing)\b",
                               re.IGNORECASE)


# "do I get anything for it?", "can you give me something for the trouble": amends, where a problem is the topic.
_SOMETHING_FOR_IT = re.compile(r"\b(get|give\s+(me|us))\s+(anything|something)\s+(for\s+(it|this|that|the)|back)\b",
                               re.IGNORECASE)


def asks_for_amends(text: str, topic_kind: str | None) -> bool:
    """Money asked for after a problem, a ticket or a decision ("can you at least give me a discount
    for the trouble?", "do I get anything for it?"): a request for a refund or credit, which the rules
    decide; not a question about what discounts the plans carry ("do you do discounts for nonprofits?")."""
    asked = asks_for_money(text) or bool(_SOMETHING_FOR_IT.search(text or ""))
    return topic_kind in AMENDS_AFTER and asked and not _GENERAL_DISCOUNT.search(text or "")


def parse_date(text: str, now: datetime, tz: str | None = None) -> date | None:
    """'yesterday', '3 days ago', 'last Monday', 'the 22nd', 'March 3rd', '2026-03-14', '14/03';
    never in the future. `now` is when the customer wrote (aware); `tz` their zoneinfo name
    when known, else `now`'s own offset counts (UTC for server times)."""
    today = _local(now, tz).date()
    lowered = " ".join((text or "").strip().lower().split())
    if lowered in RELATIVE_DAYS:
        return today - timedelta(days=RELATIVE_DAYS[lowered])
    ago = AGO.fullmatch(lowered)
    if ago:
        count = SMALL_NUMBERS.get(ago.group(1)) or int(ago.group(1))
        try:
            return today - timedelta(days=count * (7 if ago.group(2) == "week" else 1))
        except OverflowError:  # further back than the calendar goes: not a day a payment was made
            return None
    weekday = WEEKDAY.fullmatch(lowered)
    if weekday:
        back = (today.weekday() - WEEKDAYS.index(next(d for d in WEEKDAYS if d.startswith(weekday.group(2))))) % 7
        return today - timedelta(days=back or (7 if weekday.group(1) in ("last", "this past", "past") else 0))
    day = DAY_OF_MONTH.fullmatch(lowered)
    if day:
        return _latest_day_of_month(int(day.group(1)), today)
    default = datetime(today.year, today.month, today.day)
    try:
        parsed = dateparser.parse(lowered, default=default, fuzzy=True).date()
    except (ValueError, OverflowError):
        return None
    if parsed > today and not re.search(r"\d{4}", lowered):
        if (parsed.month, parsed.day) == (2, 29):
            return None  # last year had no 29 February: no guess
        parsed = parsed.replace(year=parsed.year - 1)  # "March 30" said in March means last year's
    return parsed if parsed <= today else None


def _local(now: datetime, tz: str | None) -> datetime:
    try:
        return now.astimezone(ZoneInfo(tz)) if tz else now
    except (ZoneInfoNotFoundError, ValueError):
        return now  # a time zone name we do not know: the offset the time came with


def _latest_day_of_month(day: int, today: date) -> date | None:
    """The most recent date on or before `today` whose day is `day` (the 31st skips short months)."""
    year, month = today.year, today.month
    for _ in range(12):
        if 1 <= day <= monthrange(year, month)[1] and date(year, month, day) <= today:
            return date(year, month, day)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


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
