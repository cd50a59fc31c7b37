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
