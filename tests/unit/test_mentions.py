"""What customers say about amounts and dates, parsed (table) and compared with the charge."""
from __future__ import annotations

from datetime import date

import pytest

from bot.core.formatting import Reader
from bot.core.mentions import mismatch_note, parse_amount, parse_date
from bot.core.timeutil import parse_utc

NOW = parse_utc("2026-11-22T12:00:00Z")


@pytest.mark.parametrize("text, currency, expected", [
    ("$49", "usd", 4900), ("49.00 USD", "usd", 4900), ("$ 49.5", "usd", 4950),
    ("49 dollars", "usd", 4900), ("1,490.00 usd", "usd", 149000), ("49,50 €", "eur", 4950),
    ("5000 yen", "jpy", 5000), ("¥5,000", "jpy", 5000), ("4.999", "usd", None),
    ("forty-nine dollars", "usd", None), ("", "usd", None), ("12.345 kwd", "kwd", 12345),
])
def test_amounts(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize("text, expected", [
    ("yesterday", date(2026, 11, 21)), ("today", date(2026, 11, 22)), ("last night", date(2026, 11, 21)),
    ("3 days ago", date(2026, 11, 19)), ("two days ago", date(2026, 11, 20)),
    ("March 3rd", date(2026, 3, 3)), ("3 march", date(2026, 3, 3)), ("2026-03-14", date(2026, 3, 14)),
    ("Dec 5", date(2025, 12, 5)),  # said in November: last December
    ("nov 21", date(2026, 11, 21)), ("2027-01-01", None), ("the blue moon", None),
])
def test_dates(text, expected):
    assert parse_date(text, NOW) == expected


def test_no_note_when_the_customer_means_the_payment_the_rules_saw():
    assert mismatch_note(mentioned_amount=4900, mentioned_date=date(2026, 11, 21), charge_amount=4900,
                         charge_date=date(2026, 11, 22), currency="usd") is None
    assert mismatch_note(mentioned_amount=None, mentioned_date=None, charge_amount=4900,
                         charge_date=date(2026, 11, 22), currency="usd") is None


def test_a_note_names_both_payments_when_they_differ_in_the_customer_s_money_and_dates():
    note = mismatch_note(mentioned_amount=5900, mentioned_date=date(2026, 10, 3), charge_amount=4900,
                         charge_date=date(2026, 11, 22), currency="usd", now=NOW)
    assert note.startswith("You mentioned $59.00 on October 3, but the payment I looked at is $49.00 on November 22")
    in_berlin = mismatch_note(mentioned_amount=590000, mentioned_date=None, charge_amount=490000,
                              charge_date=date(2025, 11, 22), currency="jpy", now=NOW,
                              reader=Reader("de-DE", "Europe/Berlin"))
    assert in_berlin.startswith("You mentioned 590.000\xa0¥, but the payment I looked at is 490.000\xa0¥ on "
                                "22 November 2025")
