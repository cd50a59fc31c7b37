"""What the plans include, compared: how they differ after they were described, and which plan a
team of a size needs (bot/core/plan_facts.py)."""
from __future__ import annotations

import pytest

from bot.core.formatting import Reader
from bot.core.plan_facts import asks_about_allowances, compares_the_plans, plans_answer
from bot.core.plans import parse_plans
from bot.settings import load_plans

US = Reader()


def test_the_difference_asked_right_after_the_plans_were_described_is_only_how_they_differ():
    # make run, 2026-12-07: "whats the difference" after both plans' prices was not understood
    shipped = load_plans()
    said, topic = plans_answer("how much is pro vs starter", shipped, currency="usd", current=None, topic=None,
                               reader=US)
    differ, _ = plans_answer("whats the difference", shipped, currency="usd", current=None, topic=topic, reader=US)
    assert differ.startswith("Pro has what Starter doesn't: up to 20 users, unlimited contacts, group sync, the "
                             "scheduler, and reports and the API.")
    assert "Pro costs $30.00 a month more." in differ and "Starter is $19.00" not in differ
    assert compares_the_plans("which one should we get?", topic) and not compares_the_plans("which one", None)


@pytest.mark.parametrize("question, fits", [
    ("which one is better for a team of 5", "For 5 users, Pro is the plan that fits: Starter up to 3 and Pro up to "
                                            "20 users."),
    ("we're 3 people, is starter enough?", "For 3 users, Starter is the plan that fits:"),
    ("we have 40 employees, what plan do we need", "None of our plans is for 40 users: Starter up to 3 and Pro up "
                                                   "to 20. A person from our team can talk with you about a larger "
                                                   "team."),
])
def test_a_team_of_a_size_hears_which_plan_allows_that_many_users(question, fits):
    assert asks_about_allowances(question)
    said, _ = plans_answer(question, load_plans(), currency="usd", current=None, topic=None, reader=US)
    assert said.startswith(fits)


def test_a_catalogue_that_names_no_user_limit_recommends_no_plan_for_a_team():
    unlimited = parse_plans({"plans": {"pro-monthly": {"name": "Pro", "tier": 2, "price": 4900, "currency": "usd",
                                                       "interval": "month"}},
                             "includes": {"Pro": ["as many users as you like"]}})
    said, _ = plans_answer("which plan for a team of 5", unlimited, currency="usd", current=None, topic=None,
                           reader=US)
    assert "plan that fits" not in said and "None of our plans" not in said


def test_a_team_whose_plan_already_fits_hears_it_is_the_one_they_are_on():
    # make run, 2026-12-07: ben, on Pro, asked which plan a team of 5 should get
    said, _ = plans_answer("we are a team of 5, which plan should we get", load_plans(), currency="usd",
                           current=load_plans()["pro-monthly"], topic=None, reader=US)
    assert said.startswith("For 5 users, Pro is the plan that fits, the one you're on: Starter up to 3")
