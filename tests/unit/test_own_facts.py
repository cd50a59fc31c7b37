"""The customer's own facts and the plans, in words (bot/core/facts.py, bot/core/plan_facts.py):
each answer is this customer's fact in their money, dates and time zone, and the facts a question
asks are read off its words."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.core import facts
from bot.core.domain import Account, Charge, Incident, Subscription
from bot.core.topic_answers import answer
from bot.core.formatting import Reader
from bot.core.plan_facts import plans_answer
from bot.settings import load_plans
from bot.core.plans import parse_plans
from bot.core.policy import Policy

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
US, TOKYO = Reader(), Reader("ja-JP", "Asia/Tokyo")
CATALOGUE = parse_plans({
    "plans": {"starter-monthly": {"name": "Starter", "tier": 1, "price": 1900, "currency": "usd", "interval": "month"},
              "starter-yearly": {"name": "Starter", "tier": 1, "price": 19000, "currency": "usd", "interval": "year"},
              "pro-monthly": {"name": "Pro", "tier": 2, "price": 4900, "currency": "usd", "interval": "month"},
              "pro-yearly": {"name": "Pro", "tier": 2, "price": 49000, "currency": "usd", "interval": "year"},
              "pro-monthly-jpy": {"name": "Pro", "tier": 2, "price": 5000, "currency": "jpy", "interval": "month"}},
    "includes": {"Starter": ["up to 3 users"], "Pro": ["up to 20 users", "group sync"]}})


def subscription(**changes) -> Subscription:
    base = dict(plan="pro-monthly", price=4900, currency="usd", interval="month", status="active",
                current_period_start=NOW - timedelta(days=10), current_period_end=NOW + timedelta(days=20))
    return Subscription(**{**base, **changes})


def trial(ends_in: timedelta, **changes) -> Subscription:
    return subscription(status="trialing", trial_end=NOW + ends_in, current_period_start=NOW - timedelta(days=7),
                        current_period_end=NOW + ends_in, **changes)


@pytest.mark.parametrize("text, asked", [
    ("when did you last charge me", ("last_payment",)),
    ("how much was my latest payment", ("last_payment",)),
    ("and the next one?", ("next_payment",)),
    ("when is my next bill and how much", ("next_payment",)),
    ("when does it renew", ("next_payment",)),
    ("what plan is that", ("plan",)),
    ("how many days are left on my trial and what plan am i on after", ("trial", "plan")),
    ("show me my subscription", ()),
    (None, ()),
])
def test_the_facts_a_question_asks_are_read_off_its_words(text, asked):
    assert facts.facts_asked(text) == asked


@pytest.mark.parametrize("ends_in, says", [
    (timedelta(days=5, hours=3), "in 5 days and 3 hours"),
    (timedelta(days=1, hours=6), "in 1 day and 6 hours"),
    (timedelta(hours=7), "in 7 hours"),
])
def test_the_trial_says_days_left_its_end_and_what_is_charged_then(ends_in, says):
    said = facts.trial_answer(trial(ends_in), "Pro monthly", US, NOW)
    assert says in said and (NOW + ends_in).strftime("%B") in said and "$49.00 is charged automatically" in said


def test_a_cancelled_trial_is_told_it_will_not_be_charged():
    said = facts.trial_answer(trial(timedelta(days=3), cancel_at_period_end=True), "Pro monthly", US, NOW)
    assert "won't be charged" in said and "$49.00" not in said


def test_the_next_bill_is_in_the_customers_zone_and_currency():
    # 20:00 UTC on December 12 is already December 13 in Tokyo
    sub = subscription(plan="pro-monthly-jpy", price=5000, currency="jpy",
                       current_period_end=datetime(2026, 12, 12, 20, 0, tzinfo=timezone.utc))
    said = facts.next_payment_answer(sub, "Pro monthly", TOKYO, NOW)
    assert "December 13" in said and "5,000" in said and "Pro monthly" in said


@pytest.mark.parametrize("changes, says", [
    ({"cancel_at_period_end": True}, "There's no next payment: your subscription won't renew"),
    ({"status": "canceled"}, "has ended"),
    ({"status": "trialing", "trial_end": NOW + timedelta(days=2)}, "Your first payment is $49.00 on November 24"),
])
def test_a_subscription_that_does_not_renew_has_no_next_payment(changes, says):
    assert says in facts.next_payment_answer(subscription(**changes), "Pro monthly", US, NOW)


def test_the_last_payment_is_the_latest_made_by_now():
    charges = (Charge("c0", 4900, "usd", NOW - timedelta(days=40)), Charge("c1", 4900, "usd", NOW - timedelta(days=10)),
               Charge("later", 100, "usd", NOW + timedelta(days=1)))
    assert facts.last_payment_answer(charges, US, NOW) == "Your last payment was $49.00 on November 12."
    assert facts.last_payment_answer((), US, NOW) == "You haven't made a payment yet."


def test_a_cancelled_subscription_is_not_said_to_run_on():
    ended = subscription(status="canceled")
    assert facts.plan_line("Pro monthly", ended, US) == "You were on the Pro monthly plan; the subscription is " \
                                                        "cancelled and won't renew."
    assert facts.account_topic(ended, None)["period_end"] is None


def test_an_account_answer_says_each_fact_asked_in_order():
    account = Account("a@x", "A", subscription(), (Charge("c1", 4900, "usd", NOW - timedelta(days=10)),))
    said = facts.account_answer(account, "Pro monthly", ("last_payment", "next_payment"), US, NOW)
    assert said.index("November 12") < said.index("December 12")
    assert facts.account_answer(account, "Pro monthly", (), US, NOW) is None


SYNC_DOWN = Incident("group-sync", NOW - timedelta(hours=30), None)
SYNC_FIXED = Incident("group-sync", NOW - timedelta(days=6), NOW - timedelta(days=2))
SCHEDULER = Incident("post-scheduler", NOW - timedelta(hours=5), None)


@pytest.mark.parametrize("incidents, words, expected", [
    ((SYNC_FIXED, SCHEDULER), "is the sync fixed?", SYNC_FIXED),
    ((SYNC_FIXED, SCHEDULER), "is the scheduler back?", SCHEDULER),
    ((SYNC_FIXED, SCHEDULER), "is it fixed?", SCHEDULER),  # none named: the one still on
    ((), "is it fixed?", None),
])
def test_the_incident_asked_about_is_the_one_named(incidents, words, expected):
    assert facts.incident_asked(incidents, words, NOW) == expected


@pytest.mark.parametrize("asked, lead", [
    ("is the sync fixed yet?", "Not yet: Group sync has been down"),
    ("is the sync thing a known issue?", "Yes, we know about it: Group sync has been down"),
    ("are you aware the sync is down?", "Yes, we know about it: Group sync has been down"),
    ("is it just me?", "No, it's not just you: Group sync has been down"),   # gia on make run, 2026-12-07
    ("is anyone else having this", "No, it's not just you: Group sync has been down"),
])
def test_a_named_incident_answers_the_question_asked(asked, lead):
    assert facts.incident_answer(SYNC_DOWN, US, NOW, asked=asked).startswith(lead)


def test_an_incident_the_customer_did_not_name_is_told_as_known_not_as_theirs():
    """gia's reports page broke; the one problem known was the scheduler's."""
    said = facts.incident_answer(SCHEDULER, US, NOW, asked="is it a known issue?", named=False)
    assert said.startswith("We know of a problem with the post scheduler right now: it has been down since")
    assert "If you're seeing something else, it isn't a problem we know of yet" in said and "Not yet" not in said
    fixed = facts.incident_answer(SYNC_FIXED, US, NOW, asked="is anything down right now?", named=False)
    assert fixed.startswith("There's no known problem on our side right now. The last one: group sync was fixed on")


@pytest.mark.parametrize("text, known", [
    ("is it a known issue?", True), ("is anything else down right now?", True), ("are you aware of this", True),
    ("is it just me?", True), ("is there an outage", True), ("is there any known problem with reports", True),
    ("is the sync fixed yet?", False), ("is the scheduler still down", False), ("how long has it been down", False),
])
def test_asking_whether_a_problem_is_known_is_told_from_asking_whether_it_is_fixed(text, known):
    assert bool(facts.KNOWN_QUESTION.search(text)) is known


def test_an_incident_is_said_to_be_on_or_fixed_with_its_dates():
    down = facts.incident_answer(SYNC_DOWN, US, NOW)
    assert down.startswith("Not yet") and "November 21" in down and "1 day and 6 hours" in down
    fixed = facts.incident_answer(SYNC_FIXED, US, NOW)
    assert fixed.startswith("Yes") and "November 20" in fixed and "4 days" in fixed
    assert "no known problem" in facts.incident_answer(None, US, NOW)


@pytest.mark.parametrize("text, status", [
    ("is the sync fixed yet?", True),
    ("hey is group sync working again?", True),
    ("is the scheduler still down", True),
    ("since when has it been down", True),
    ("group sync doesn't work", False),
    ("group sync has been broken for over a week now, this is costing us", False),
    ("is the outage over?", True),
    ("the sync is broken, I want a refund", False),
    ("I can't log in", False),
])
def test_a_status_question_is_told_from_a_report(text, status):
    assert facts.asks_incident_status(text) is status


def test_follow_ups_on_a_trial_and_an_incident_answer_from_their_facts():
    policy, sub = Policy(), trial(timedelta(days=5, hours=3))
    on_trial = facts.trial_topic(sub, "Pro monthly")
    assert "November 27" in answer("when", on_trial, policy=policy, reader=US, now=NOW)
    assert "$49.00" in answer("what_next", on_trial, policy=policy, reader=US, now=NOW)
    down, fixed = facts.incident_topic(SYNC_DOWN), facts.incident_topic(SYNC_FIXED)
    assert "November 21" in answer("when", down, policy=policy, reader=US, now=NOW)
    assert "November 20" in answer("when", fixed, policy=policy, reader=US, now=NOW)
    on_account = facts.account_topic(subscription(), NOW + timedelta(days=20))
    assert answer("how_much", on_account, policy=policy, reader=US, now=NOW) == "$49.00 a month."


def plans(*questions, current=None, currency="usd"):
    topic, said = None, []
    for question in questions:
        text, topic = plans_answer(question, CATALOGUE, currency=currency, current=current, topic=topic, reader=US)
        said.append(text)
    return said


def test_a_plan_named_gets_its_prices_and_what_it_includes():
    pro, = plans("how much is pro?")
    assert "$49.00 a month or $490.00 a year" in pro and "group sync" in pro and "Starter is" not in pro


def test_a_follow_up_names_another_plan_or_an_interval_of_the_same_one():
    _, starter, yearly = plans("how much is pro?", "and starter?", "yearly?")
    assert starter.startswith("Starter is $19.00") and "Pro" not in starter
    assert yearly.startswith("Starter yearly is $190.00 a year")


def test_a_comparison_says_how_the_plans_differ_and_describes_those_not_yet_described():
    _, both = plans("how much is pro?", "what's the difference between them")
    assert both.startswith("Pro has what Starter doesn't: up to 20 users and group sync. Pro costs $30.00 a month "
                           "more. Starter is $19.00 a month or $190.00 a year: up to 3 users.")
    assert "Pro is" not in both   # just described
    side_by_side, = plans("compare your plans")
    assert side_by_side.index("Starter is") < side_by_side.index("Pro is") and "Pro costs $30.00 a month more" \
        in side_by_side


def test_a_customer_sees_their_own_plan_beside_the_one_asked_about():
    said, = plans("what would pro cost me a month", current=CATALOGUE["starter-monthly"])
    assert "Pro monthly is $49.00 a month" in said and "You're on Starter monthly now, at $19.00 a month" in said


def test_plans_are_priced_in_the_customers_currency_only():
    said, = plans("what do your plans cost", currency="jpy")
    assert "¥5,000" in said or "￥5,000" in said
    assert "$" not in said


def test_a_question_about_a_discount_hears_what_paying_yearly_saves():
    answer, = plans("can i get a discount if i pay for a year up front?")
    assert "Pro by the year is $490.00 against $588.00 for twelve months paid monthly: you save $98.00, " \
           "2 months free." in answer
    assert "Starter by the year is $190.00 against $228.00" in answer and "person" not in answer


def test_a_discount_for_a_kind_of_customer_is_not_promised_and_a_person_can_say_more():
    # make run, 2026-12-07: "do you do discounts for nonprofits?" heard only what paying yearly saves
    answer, = plans("whats the difference between the plans and do you do discounts for nonprofits?")
    assert "Our plans don't list a discount for nonprofits; a person from our team can tell you whether one " \
           "applies. What does save is paying by the year." in answer and "you save $98.00" in answer


def test_a_plan_without_a_yearly_price_has_no_saving_to_tell():
    answer, = plans("is pro cheaper by the year?", currency="jpy")
    assert "save" not in answer and "costs the same" not in answer and answer.startswith("Pro is")


def test_what_a_plan_lacks_is_what_the_others_have_beyond_it():
    starter, = plans("wait what does starter not have", current=CATALOGUE["pro-monthly"])
    assert starter.startswith("Pro has what Starter doesn't: up to 20 users and group sync. Starter is $19.00")
    pro, = plans("what would I lose with pro")
    assert pro.startswith("Starter has what Pro doesn't: up to 3 users.")  # each list as written
    shipped = load_plans()   # where Pro's list says "everything in Starter", Pro lacks nothing
    said, _ = plans_answer("what does pro not have", shipped, currency="usd", current=None, topic=None, reader=US)
    assert said.startswith("Pro has everything our other plans have.")
    included, = plans("what does starter include")
    assert "has what Starter doesn't" not in included


def test_what_a_move_to_another_plan_would_lose():
    from bot.core.plan_facts import what_a_move_loses
    shipped = load_plans()
    down = what_a_move_loses(shipped["pro-monthly"], shipped["starter-monthly"], shipped, US)
    assert down.startswith("Pro has what Starter doesn't:") and "the scheduler" in down
    up = what_a_move_loses(shipped["starter-monthly"], shipped["pro-yearly"], shipped, US)
    assert up == "Pro has everything Starter has."
    assert what_a_move_loses(shipped["pro-monthly"], shipped["pro-yearly"], shipped, US) == \
        "You'd keep everything Pro has: only how often you're billed changes."  # ivy on make run, 2026-12-07


def test_recent_payments_are_listed_oldest_first_with_what_was_refunded():
    from bot.core.facts import SAYS_CHARGED_TWICE, recent_payments_answer
    twice = (Charge("c2", 4900, "usd", NOW - timedelta(days=1)),
             Charge("c1", 4900, "usd", NOW - timedelta(days=1, hours=2)),
             Charge("old", 4900, "usd", NOW - timedelta(days=60)))
    assert recent_payments_answer(twice, US, NOW) == ("Here's what I see: 2 payments from you in the last 45 days, "
                                                      "$49.00 on November 21 and $49.00 on November 21.")
    refunded = (Charge("c1", 4900, "usd", NOW - timedelta(days=3), refunded=4900),
                Charge("c2", 4900, "usd", NOW - timedelta(days=2), refunded=1000))
    assert recent_payments_answer(refunded, US, NOW).endswith(
        "$49.00 on November 19 (refunded) and $49.00 on November 20 ($10.00 of it refunded).")
    assert recent_payments_answer(twice[2:], US, NOW) == "I don't see any payment from you in the last 45 days."
    yen = (Charge("c1", 5000, "jpy", NOW - timedelta(days=3)),)
    in_yen = recent_payments_answer(yen, TOKYO, NOW)
    assert "one payment" in in_yen and "5,000" in in_yen
    for said in ("you charged me twice", "I've been double charged", "I got charged double this month",
                 "there's a duplicate payment", "billed 2x",
                 "you took my money two times", "a second charge I don't recognise"):
        assert SAYS_CHARGED_TWICE.search(said), said
    for said in ("I want to talk to a person", "send me my invoices", "two users need access"):
        assert not SAYS_CHARGED_TWICE.search(said), said


@pytest.mark.parametrize("text, own", [
    ("how long until my trial runs out", True), ("what do I have left", True), ("is my free trial over", True),
    ("is there a free trial", False), ("how long is the trial", False),
])
def test_a_trial_question_about_ones_own_trial_is_told_from_one_about_its_terms(text, own):
    from bot.core.facts import asks_own_trial
    assert asks_own_trial(text) == own


@pytest.mark.parametrize("text, asked", [
    ("can you extend my trial? I havent had time to try it", True),   # carla on make run, 2026-12-07
    ("could I get another week on the trial", True),
    ("is a trial extension possible", True),
    ("how long is the trial", False),
    ("how many days do I have left", False),
])
def test_asking_to_extend_the_trial_is_told_from_asking_about_it(text, asked):
    assert facts.asks_to_extend_trial(text) is asked


def test_why_a_trial_is_not_extended_is_a_persons_call_not_the_trials_purpose():
    from bot.core.trial_follow_ups import TRIAL_EXTENSION_WHY, answer as trial_answer
    sub = trial(timedelta(days=5))
    asked = facts.trial_topic(sub, "Pro monthly", extension_asked=True)
    assert trial_answer("why", asked, US, NOW) == TRIAL_EXTENSION_WHY
    assert trial_answer("why", facts.trial_topic(sub, "Pro monthly"), US, NOW).startswith("The trial is free")
