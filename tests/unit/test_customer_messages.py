"""The decision as the customer reads it: feature keys in words, the ticket told once."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core.formatting import Reader
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


def test_without_a_known_problem_only_the_rule_is_said():
    assert r6(None) == "Problems that aren't caused by a lasting outage on our side aren't refunded."
