"""The decision as the customer reads it: feature keys in words, the ticket told once, no refusal
of a refund nobody asked for, outages in days, proposals as proposals, deadlines in named zones."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core.formatting import Reader, deadline, span
from bot.core.mentions import asks_for_money
from bot.core.messages import decision_for_customer, feature_names

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def r6(ongoing: list[str] | None) -> str:
    result = {"rule": "R6", "currency": "usd", "charge_amount": None, "facts": {"ongoing_incidents": ongoing}}
    return decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW)


@pytest.mark.parametrize("features, said", [
    (["post-scheduler"], "the post scheduler"),
    (["group-sync", "post-scheduler"], "the group sync and the post scheduler"),
    (["group_sync", "email-import", "post-scheduler"], "the group sync, the email import, and the post scheduler"),
])
def test_feature_keys_are_said_in_words(features, said):
    assert feature_names(features, Reader()) == said


def test_a_known_problem_is_named_in_words_and_the_ticket_is_not_told_twice():
    told = r6(["post-scheduler"])
    assert told == ("We know about a problem with the post scheduler and are working on it. "
                    "Problems that aren't caused by a lasting outage on our side aren't refunded.")
    assert "-" not in told and "ticket" not in told  # the ticket notice comes just before it


def test_a_known_problem_the_customer_did_not_name_is_not_told_as_theirs():
    """gia reported the reports page while the only known problem was the scheduler's."""
    result = {"rule": "R6", "currency": "usd", "charge_amount": None,
              "facts": {"ongoing_incidents": ["post-scheduler"]}}
    told = decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW, asked_for_money=False,
                                 reported="the reports page is broken, it just shows a blank screen")
    assert told == ("We know of a problem with the post scheduler right now, which may not be what you're seeing: "
                    "the ticket makes sure our team looks at what you told me.")
    assert decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW, asked_for_money=False,
                                 reported="my scheduler stopped posting").startswith("We know about a problem with")
    # gia on make run, 2026-12-07: her scheduled posts are the post scheduler
    assert decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW, asked_for_money=False,
                                 reported="my scheduled posts didnt go out this morning").startswith(
        "We know about a problem with")


def test_without_a_known_problem_only_the_rule_is_said():
    assert r6(None) == "Problems that aren't caused by a lasting outage on our side aren't refunded."


def test_a_problem_reported_without_asking_for_money_is_not_told_what_is_not_refunded():
    """gia wrote "the post scheduler isn't working": the ticket and the known issue, no refusal."""
    result = {"rule": "R6", "currency": "usd", "charge_amount": None,
              "facts": {"ongoing_incidents": ["post-scheduler"]}}
    told = decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW, asked_for_money=False)
    assert told == "We know about a problem with the post scheduler and are working on it."
    assert decision_for_customer({**result, "facts": {}}, window_hours=24, reader=Reader(), now=NOW,
                                 asked_for_money=False) == ""
    assert not asks_for_money("the post scheduler isn't working for me")
    assert all(asks_for_money(text) for text in ("scheduler broken, I want a refund", "can I get my money back?",
                                                 "I expect some compensation", "refunded?",
                                                 "a credit for the outage, please"))
    assert not asks_for_money("can I pay by credit card?") and not asks_for_money("my creditcard expired")


@pytest.mark.parametrize("text, asked", [
    ("Could I get the unused part back?", True), ("can you give the remaining days back", True),
    ("what's left of it returned, please", True), ("a prorated refund", True),
    ("please get back to me", False), ("I have some unused contacts", False), ("the remaining balance", False),
])
def test_the_money_not_yet_used_asked_back_is_money_asked_for(text, asked):
    assert asks_for_money(text) is asked


def test_an_outage_is_told_in_days_as_the_console_shows_it():
    result = {"rule": "R5", "currency": "usd", "credit": 2042, "charge_amount": None,
              "facts": {"outage_seconds": 300 * 3600 + 59 * 60}}
    told = decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW)
    assert "for 12 days and 12 hours this billing period" in told and "300" not in told
    assert "proposed a credit of $20.42" in told
    assert [span(s) for s in (3 * 86400, 86400 + 3600, 10 * 3600, 45 * 60)] == [
        "3 days", "1 day and 1 hour", "10 hours", "45 minutes"]


def test_a_prorated_refund_is_told_as_proposed_not_as_the_most_a_person_can_grant():
    """The agent may grant up to what is left of the payment: the customer hears the proposal."""
    result = {"rule": "R2", "currency": "usd", "refund": 3084, "base": 3247, "fee": 163, "charge_amount": 4900,
              "charge_date": "2026-11-12", "facts": {}}
    told = decision_for_customer(result, window_hours=24, reader=Reader(), now=NOW)
    assert "The refund we've proposed is $30.84 ($32.47 unused, less a $1.63 processing fee)" in told
    assert "most" not in told


@pytest.mark.parametrize("locale, zone, said", [
    ("en-US", "Europe/Rome", "Tuesday, November 24 at 4:30 AM Rome time"),  # CLDR en-US has no name for CET
    ("en-GB", "Europe/Rome", "Tuesday, 24 November at 04:30 CET"),
    ("en-US", "America/New_York", "Monday, November 23 at 10:30 PM EST"),
    ("en-US", "UTC", "Tuesday, November 24 at 3:30 AM UTC"),
])
def test_a_deadline_names_the_zone_in_words_never_as_an_offset(locale, zone, said):
    due = datetime(2026, 11, 24, 3, 30, tzinfo=timezone.utc)
    assert deadline(due, Reader(locale, zone), now=NOW).replace("\u202f", " ") == said  # CLDR's narrow space


def test_money_moved_is_told_by_amount_and_case_never_by_the_processor_s_id():
    """A Stripe id (re_…) is nothing a customer or their bank can use: the ledger and people keep it."""
    from bot.core.messages import case_outcome, movement_update, refunded
    assert refunded(4655, "usd") == "Done: I've refunded $46.55. Refunds usually reach your card within 5 to 10 " \
                                    "business days."
    assert movement_update("refund", "succeeded", 4655, "usd") == \
        "An update: your refund of $46.55 has now gone through."
    assert case_outcome(case_id=7, status="approved", kind="refund", amount=100, currency="usd", note="Sorry.",
                        movement_status="succeeded") == "About case #7: a refund of $1.00 has been made. Sorry."
