"""The plan catalogue: each plan with what its name includes, and a broken file refused with a reason."""
from __future__ import annotations

import pytest

from bot.core.plans import parse_plans
from bot.settings import load_plans

PLANS = {"plans": {"starter-monthly": {"name": "Starter", "tier": 1, "price": 1900, "currency": "USD",
                                       "interval": "month"},
                   "pro-monthly": {"name": "Pro", "tier": 2, "price": 4900, "currency": "usd", "interval": "month"}}}


def test_each_plan_carries_what_its_name_includes():
    catalogue = parse_plans({**PLANS, "includes": {"Pro": ["group sync", "up to 20 users"]}})
    assert catalogue["pro-monthly"].includes == ("group sync", "up to 20 users")
    assert catalogue["starter-monthly"].includes == () and catalogue["starter-monthly"].currency == "usd"


@pytest.mark.parametrize("includes", [["group sync"], {"Pro": "group sync"}, {"Pro": [3]}])
def test_includes_that_are_not_lists_of_words_are_refused(includes):
    with pytest.raises(ValueError, match="includes"):
        parse_plans({**PLANS, "includes": includes})


def test_the_shipped_plans_say_what_each_includes():
    assert all(plan.includes for plan in load_plans().values())


@pytest.mark.parametrize("current, text, chosen", [
    ("pro-monthly", "switch me to starter", "starter-monthly"),
    ("pro-monthly", "go annual", "pro-yearly"),
    ("pro-monthly", "ok can I switch to the cheaper one before it starts", "starter-monthly"),  # make run, 2026-12-07
    ("pro-monthly", "a cheaper plan, yearly", "starter-yearly"),
    ("starter-monthly", "I'd like the bigger plan", "pro-monthly"),
    ("starter-monthly", "upgrade me to yearly", "starter-yearly"),  # "upgrade" names no plan: the interval does
    ("starter-monthly", "something cheaper", None),                 # nothing below Starter
    ("pro-monthly", "change my plan", None),
])
def test_the_plan_a_customer_names_or_points_to(current, text, chosen):
    from bot.core.plans import match_plan, options_for
    plans = load_plans()
    found = match_plan(text, plans[current], options_for(current, "usd", plans))
    assert (found.id if found else None) == chosen


@pytest.mark.parametrize("text, direction", [
    ("what if I downgraded", -1),
    ("if we went down a plan would we lose anything", -1),
    ("would an upgrade cost me much", 1),
    ("what if we moved up", 1),
    ("if i changed plans would my setup stay", None),         # "up" inside a word asks for no move
    ("could i still download my contacts on another plan", None),
    ("would support still help me if i switched", None),
])
def test_a_move_down_or_up_is_read_from_whole_words(text, direction):
    from bot.core.plans import move_direction
    assert move_direction(text) == direction


@pytest.mark.parametrize("text, switch", [
    ("can i switch to starter before my trial is over", True),
    ("move me to yearly before the trial ends", True),
    ("does my plan change when the trial ends", False),   # a verb, but no plan named
    ("is the trial for starter too", False),              # a plan, but no move asked
])
def test_a_move_to_a_named_plan_is_read_whatever_else_is_mentioned(text, switch):
    from bot.core.plans import asks_to_switch, options_for
    plans = load_plans()
    assert asks_to_switch(text, plans["pro-monthly"], options_for("pro-monthly", "usd", plans)) is switch
