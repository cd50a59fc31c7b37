"""After a refusal: "why not?" in new words each time with the way to a person, an objection
heard, the stated reason standing, and R2 asked for the cancellation it needs."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from bot.core import messages
from bot.core.formatting import Reader
from bot.core.refusals import (REFUSED_RULES, objects, reason_stands, review_needs_cancelling, standing_reason,
                               why_not)

SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> set[str]:
    return {s for s in SENTENCE.split(text) if len(s.split()) >= 6}


@pytest.mark.parametrize("rule", REFUSED_RULES)
def test_each_why_not_is_new_words_and_offers_a_person(rule):
    said = [why_not(rule, told, window_hours=24) for told in range(6)]
    assert all("person" in text for text in said)
    for earlier, later in zip(said, said[1:]):
        assert not sentences(earlier) & sentences(later), (earlier, later)


@pytest.mark.parametrize("rule", REFUSED_RULES)
def test_why_not_never_repeats_the_refusal(rule):
    refusal = messages.decision_for_customer(
        {"rule": rule, "currency": "usd", "charge_amount": 4900, "charge_date": "2026-11-01", "base": 0,
         "facts": {"period_end": "2026-11-30T00:00:00+00:00"}},
        window_hours=24, reader=Reader(), now=datetime(2026, 12, 6, tzinfo=timezone.utc))
    assert not sentences(refusal) & sentences(why_not(rule, 0, window_hours=24))


def test_by_mail_the_way_to_a_person_is_words_to_reply_with():
    assert "reply \"I want to talk to a person\"" in why_not("R3", 0, window_hours=24, by_mail=True)
    assert why_not("R1", 0, window_hours=24) is None  # nothing refused


@pytest.mark.parametrize("text, objecting", [
    ("thats not fair", True), ("this is ridiculous", True), ("what a rip-off", True), ("I don't accept that", True),
    ("ok", False), ("why not?", False), ("fine, cancel it", False),
])
def test_an_objection_is_told_from_a_question(text, objecting):
    assert objects(text) is objecting


def test_a_stated_reason_stands_until_a_new_fact():
    assert standing_reason("unspecified", "unused_account") == "unused_account"  # "I want my money back"
    assert standing_reason("technical_problem", "unused_account") == "technical_problem"  # a new fact
    assert standing_reason("unspecified", None) == "unspecified"
    assert "haven't used the account" in reason_stands("unused_account")


def test_r2_while_it_renews_says_what_a_person_could_refund_once_cancelled():
    said = review_needs_cancelling({"refund": 3084, "base": 3247, "fee": 163, "currency": "usd"}, Reader())
    assert "once the subscription is cancelled" in said and "$30.84" in said and "$1.63" in said
