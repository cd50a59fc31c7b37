"""Attacks on the amounts and dates a customer mentions (issue 26, item 5): "you charged me
99999999 days ago" made the action server raise OverflowError after the decision was
recorded, so the customer got an empty reply. Whatever the customer writes, the parsers
answer a value or None and the refund action answers."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.refunds import ActionAssessRefund, _mismatch
from bot.core.formatting import Reader
from bot.core.mentions import mismatch_note, parse_amount, parse_date
from bot.core.timeutil import parse_utc
from tests.unit.test_actions import codes, core, secret, token, tracker, user  # noqa: F401 - fixtures

NOW = parse_utc("2026-11-22T12:00:00Z")
CHARGE = SimpleNamespace(charge_amount=4900, charge_date="2026-11-22", currency="usd")  # what _mismatch reads
MONTHS = ("jan", "feb", "march", "sept", "december")
HUGE = st.integers(min_value=0, max_value=10 ** 40)
# Shapes the amount and date regexes (data/nlu/entities.yml) let through, with any numbers in them.
DATES = st.one_of(
    st.builds("{} days ago".format, HUGE), st.builds("{} weeks ago".format, HUGE),
    st.builds("{}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)),
    st.builds("{}/{}/{}".format, st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999)),
    st.builds("{}/{}".format, st.integers(0, 99), st.integers(0, 99)),
    st.builds("{} {}, {}".format, st.sampled_from(MONTHS), st.integers(0, 99), st.integers(0, 9999)),
    st.builds("{} of {} {}".format, st.integers(0, 99), st.sampled_from(MONTHS), st.integers(0, 9999)),
    st.builds("the {}th".format, st.integers(0, 99)), st.text(max_size=40))
AMOUNTS = st.one_of(
    st.builds("${}".format, HUGE), st.builds("${:,}.{}".format, HUGE, st.integers(0, 999)),
    st.builds("{} yen".format, HUGE), st.builds("{},{} €".format, HUGE, st.integers(0, 99)),
    st.text(alphabet="0123456789.,$€¥ ", max_size=60), st.text(max_size=40))


@pytest.mark.parametrize("said", ["99999999 days ago", "999999999999 weeks ago", "10000000000000000000000 days ago"])
def test_a_day_further_back_than_the_calendar_is_no_day(said):
    assert parse_date(said, NOW) is None


def test_an_amount_longer_than_any_payment_is_no_amount():
    assert parse_amount("$99999999999999999999999999999999", "usd") is None
    assert parse_amount("$999,999,999,999,999,999,999.99", "usd") is None
    assert parse_amount("$1,234,567.89", "usd") == 123456789  # a large payment is still read


@settings(max_examples=400, deadline=None)
@given(said=DATES, hours=st.integers(-10 ** 6, 10 ** 6))
def test_a_mentioned_date_is_a_day_on_or_before_today_or_none(said, hours):
    now = NOW + timedelta(hours=hours)
    parsed = parse_date(said, now, "Europe/Berlin")
    assert parsed is None or (isinstance(parsed, date) and parsed <= now.date() + timedelta(days=1))


@settings(max_examples=400, deadline=None)
@given(said=AMOUNTS, currency=st.sampled_from(["usd", "jpy", "kwd", "eur"]))
def test_a_mentioned_amount_is_whole_minor_units_or_none(said, currency):
    parsed = parse_amount(said, currency)
    assert parsed is None or (isinstance(parsed, int) and parsed >= 0)


@settings(max_examples=300, deadline=None)
@given(amount=AMOUNTS, said=DATES)
def test_whatever_was_mentioned_the_note_is_words_or_nothing(amount, said):
    note = mismatch_note(mentioned_amount=parse_amount(amount, "usd"), mentioned_date=parse_date(said, NOW),
                         charge_amount=4900, charge_date=date(2026, 11, 22), currency="usd", now=NOW)
    assert note is None or note.startswith("You mentioned ")


def said_with(entities: list[tuple[str, str]], text: str = "you charged me"):
    return tracker(user(text, "late_cancellation", token=token(),
                        entities=[{"entity": kind, "value": value} for kind, value in entities]))


@pytest.mark.parametrize("entities", [
    [("date", "99999999 days ago")], [("amount", "$99999999999999999999999999999999")],
    [("date", "12/31/0001"), ("amount", "0.001 usd")], [("date", "9999-12-31")],
])
def test_the_action_answers_whatever_date_or_amount_was_mentioned(core, entities):  # noqa: F811 - fixture
    dispatcher = CollectingDispatcher()
    ActionAssessRefund().run(dispatcher, said_with(entities), {})
    assert dispatcher.messages and "payment of $49.00" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[-1]["response"] == "utter_confirm_cancel_and_refund"  # the offer is still made


def test_the_mismatch_of_an_absurd_mention_is_a_sentence_or_nothing():
    written = datetime(2026, 11, 22, 12, tzinfo=timezone.utc).timestamp()
    event = {"event": "user", "text": "x", "timestamp": written, "metadata": {},
             "parse_data": {"intent": {"name": "late_cancellation"},
                            "entities": [{"entity": "date", "value": "99999999 days ago"},
                                         {"entity": "amount", "value": "$12"}]}}
    said = Tracker("s1", {}, event["parse_data"], [event], False, None, {}, "")
    assert _mismatch(said, CHARGE, Reader()).startswith("You mentioned $12.00, but the payment")
