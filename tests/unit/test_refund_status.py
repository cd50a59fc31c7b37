"""Where a refund the customer was given stands: "where is my refund?" is told what was refunded,
when, and when it should be on the card, never taken for a new request (bot/core/refund_status.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.core.domain import Account, Charge, PriorRefund
from bot.core.formatting import Reader
from bot.core.refund_status import asks_refund_status, refund_status_answer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
PAID = Charge("ch_jon_1", 1900, "usd", datetime(2026, 11, 14, tzinfo=timezone.utc), refunded=1900)


@pytest.mark.parametrize("text, status", [
    ("where is my refund?", True),          # jon on make run, 2026-12-07: asked what had happened
    ("I still haven't received my refund", True),
    ("did you refund me?", True),
    ("when will I get my refund", True),
    ("whats the status of my refund", True),
    ("hi, has anyone looked at my refund yet?", True),   # ben, make run 2026-12-07: a review case opened for it
    ("has someone checked on my refund", True),
    ("I want a refund", False),
    ("can I get my money back", False),
    ("how long do refunds take", False),
])
def test_a_question_about_a_refund_made_is_told_from_a_request_for_one(text, status):
    assert asks_refund_status(text) is status


def account(*refunds: PriorRefund) -> Account:
    return Account("jon@example.com", "Jon", None, charges=(PAID,), refunds=refunds)


def test_a_refund_made_days_ago_may_not_show_yet_and_says_until_when_to_wait():
    said = refund_status_answer(account(PriorRefund("ch_jon_1", 1900, "R1", NOW - timedelta(days=3))), Reader(), NOW)
    assert said.startswith("On December 4 we refunded $19.00 of your payment of $19.00 from November 14.")
    assert "5 to 10 business days" in said and "hasn't arrived by December 18" in said


def test_a_refund_made_weeks_ago_should_have_arrived_and_a_person_can_check_it():
    said = refund_status_answer(account(PriorRefund("ch_jon_1", 1900, "R1", NOW - timedelta(days=20))), Reader(), NOW)
    assert "should have arrived by now" in said and "payment processor" in said


def test_with_no_refund_made_it_says_so_and_asks_what_happened():
    said = refund_status_answer(Account("x@example.com", "X", None, charges=(Charge("c", 1900, "usd", NOW),)),
                                Reader(), NOW)
    assert said.startswith("I don't see a refund on your account.")


def test_a_refund_the_payments_show_without_a_dated_record_is_still_told():
    # jon's seed: his payment refunded in full, no refund in the history
    said = refund_status_answer(account(), Reader(), NOW)
    assert said.startswith("Your payment of $19.00 from November 14 has been refunded ($19.00).")
    unpaid = Account("x@example.com", "X", None)
    assert refund_status_answer(unpaid, Reader(), NOW).startswith("I don't see a refund on your account.")



CASE = {"case_id": 12, "status": "open", "picked_up": False, "due": "2026-12-09T12:00:00+00:00", "agent": None}


def test_with_no_refund_made_and_a_case_open_it_says_where_the_case_stands():
    # make run, 2026-12-07: ben, his R2 case open, was told there was no refund and asked what had happened
    nothing = Account("ben@example.com", "Ben", None, charges=(Charge("c", 1900, "usd", NOW),))
    said = refund_status_answer(nothing, Reader(), NOW, CASE)
    assert said.startswith("No refund has been made yet. Your case #12 is open and waiting in our support team's queue")
    said = refund_status_answer(nothing, Reader(), NOW, {**CASE, "status": "denied", "note": "Used all month"})
    assert said == 'No refund has been made. Your case #12 has been decided: our team couldn\'t approve it. ' \
                   'They wrote: "Used all month"'


def test_a_refund_made_is_told_whatever_case_there_is():
    made = account(PriorRefund("ch_jon_1", 1900, "R1", NOW - timedelta(days=3)))
    assert refund_status_answer(made, Reader(), NOW, CASE).startswith("On December 4 we refunded")
