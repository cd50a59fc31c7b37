"""What customers say about amounts and dates, parsed (table) and compared with the charge."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.core.formatting import Reader
from bot.core.mentions import asks_for_amends, mismatch_note, parse_amount, parse_date
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



# Written on Wednesday 2 December 2026, in the evening UTC.
DEC_2 = parse_utc("2026-12-02T18:00:00Z")


@pytest.mark.parametrize("text, now, expected", [
    # a day of the month alone is the latest such day, on or before the day of writing
    ("the 22nd", DEC_2, date(2026, 11, 22)), ("on the 22nd", DEC_2, date(2026, 11, 22)),
    ("the 2nd", DEC_2, date(2026, 12, 2)), ("the 1st", DEC_2, date(2026, 12, 1)),
    ("the 3rd", DEC_2, date(2026, 11, 3)), ("the 31st", DEC_2, date(2026, 10, 31)),  # November has 30 days
    ("the 22nd", parse_utc("2027-01-05T09:00:00Z"), date(2026, 12, 22)),  # across the year
    ("the 29th", parse_utc("2027-03-01T09:00:00Z"), date(2027, 1, 29)),   # February 2027 has 28 days
    ("the 29th", parse_utc("2028-03-01T09:00:00Z"), date(2028, 2, 29)),   # 2028 is a leap year
    ("the 32nd", DEC_2, None),
    # weekdays: the latest one; "last" never means today
    ("monday", DEC_2, date(2026, 11, 30)), ("last Monday", DEC_2, date(2026, 11, 30)),
    ("wednesday", DEC_2, date(2026, 12, 2)), ("last wednesday", DEC_2, date(2026, 11, 25)),
    ("on Thursday", DEC_2, date(2026, 11, 26)), ("last fri", parse_utc("2027-01-01T12:00:00Z"), date(2026, 12, 25)),
    ("last Thursday", parse_utc("2027-01-01T12:00:00Z"), date(2026, 12, 31)),
    # relative days across month and year ends
    ("yesterday", parse_utc("2027-01-01T08:00:00Z"), date(2026, 12, 31)),
    ("3 days ago", parse_utc("2027-01-02T08:00:00Z"), date(2026, 12, 30)),
    ("a week ago", DEC_2, date(2026, 11, 25)), ("two weeks ago", parse_utc("2027-01-05T09:00:00Z"), date(2026, 12, 22)),
    ("yesterday", parse_utc("2026-03-01T10:00:00Z"), date(2026, 2, 28)),
    # a month and day without a year: last year's when this year's is still to come
    ("Dec 30", parse_utc("2027-01-05T09:00:00Z"), date(2026, 12, 30)),
    ("December 22", DEC_2, date(2025, 12, 22)), ("22 November", DEC_2, date(2026, 11, 22)),
    ("Feb 29", parse_utc("2028-03-10T09:00:00Z"), date(2028, 2, 29)),
    ("Feb 29", parse_utc("2028-02-10T09:00:00Z"), None),  # 2027 had none: no guess
])
def test_a_date_without_its_month_or_year_is_the_latest_one_before_the_message(text, now, expected):
    assert parse_date(text, now) == expected


def test_dates_are_days_where_the_customer_is():
    # 02:00 UTC on 2 December is still the evening of 1 December in Los Angeles.
    early = parse_utc("2026-12-02T02:00:00Z")
    assert parse_date("today", early) == date(2026, 12, 2)
    assert parse_date("today", early, tz="America/Los_Angeles") == date(2026, 12, 1)
    assert parse_date("yesterday", early, tz="America/Los_Angeles") == date(2026, 11, 30)
    assert parse_date("the 2nd", early, tz="America/Los_Angeles") == date(2026, 11, 2)
    assert parse_date("the 2nd", early, tz="Asia/Tokyo") == date(2026, 12, 2)
    # An email's Date header carries the sender's offset: that is their day.
    written = datetime(2026, 12, 1, 21, 0, tzinfo=timezone(timedelta(hours=-8)))
    assert parse_date("today", written) == date(2026, 12, 1)
    assert parse_date("today", written, tz="Not/A_Zone") == date(2026, 12, 1)  # unknown name: the offset


@pytest.mark.parametrize("text, topic_kind, amends", [
    ("can you at least give me a discount for the trouble", "case", True),  # gia after a ticket, make run 2026-12-07
    ("i want some compensation for this", "incident", True),
    ("can you at least give me a discount for the trouble", None, False),   # nothing went wrong: a plans question
    ("do you do discounts for nonprofits?", "case", False),
    ("any discount if we pay yearly?", "decision", False),
    ("is there a discount on the pro plan", "case", False),
    ("how long will the fix take", "case", False),
])
def test_money_asked_for_after_a_problem_is_amends_not_a_price(text, topic_kind, amends):
    assert asks_for_amends(text, topic_kind) is amends


@pytest.mark.parametrize("text, kind, amends", [
    ("do I get anything for it?", "incident", True),
    ("can you give me something for the trouble", "case", True),
    ("do I get anything for it?", None, False),          # no problem talked about: not amends
    ("do I get anything for free with pro?", "incident", False),
])
def test_something_for_it_is_amends_only_after_a_problem(text, kind, amends):
    assert asks_for_amends(text, kind) == amends
