"""Seed files: validation names the customer and field, writes are whole and idempotent."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.db import models
from bot.db.repository import load_account
from bot.db.session import unit_of_work
from bot.app import canned_replies
from bot.ops.seed import SeedError, parse_canned_replies, parse_seed, write_canned_replies, write_customers
from tests.conftest import DEMO_NOW, DEMO_SEED

CONTRACT_EXAMPLE = """
customers:
  - email: ana@example.com
    name: Ana Lima
    created: 2026-02-02T10:00:00Z
    subscription:
      plan: pro-monthly
      price: 4900
      currency: usd
      interval: month
      status: canceled
      trial_end: 2026-02-14T10:00:00Z
      current_period_start: 2026-03-14T10:00:00Z
      current_period_end: 2026-04-14T10:00:00Z
      cancel_at_period_end: false
      canceled_at: 2026-03-14T20:00:00Z
    charges:
      - {id: ch_ana_2, amount: 4900, currency: usd, created: 2026-03-14T10:00:00Z, refunded: 0}
    refunds:
      - {charge: ch_ana_1, amount: 4655, rule: R1, created: 2026-02-14T15:00:00Z}
    incidents:
      - {feature: group-sync, start: 2026-03-20T00:00:00Z, end: null}
"""


def counts(engine) -> dict:
    with unit_of_work(engine) as session:
        return {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (models.Customer, models.Subscription, models.Charge, models.Refund,
                          models.Incident)}


def test_contract_example_loads_with_history_of_an_unlisted_charge(engine):
    customers = parse_seed(CONTRACT_EXAMPLE)
    with unit_of_work(engine) as session:
        assert write_customers(session, customers) == 1
    with unit_of_work(engine) as session:
        account = load_account(session, "ANA@example.com ")
    assert account.subscription.status == "canceled"
    assert [c.id for c in account.charges] == ["ch_ana_2"]
    assert [(r.charge_id, r.amount, r.rule) for r in account.refunds] == [("ch_ana_1", 4655, "R1")]
    assert account.incidents[0].end is None
    assert account.charges[0].created.isoformat() == "2026-03-14T10:00:00+00:00"


def test_the_demo_brings_canned_replies_once_and_keeps_an_agents_changes(engine):
    replies = parse_canned_replies(DEMO_SEED.read_text())
    assert len(replies) >= 4 and all(body.strip() for _, body in replies)
    with unit_of_work(engine) as session:
        assert write_canned_replies(session, replies, now=DEMO_NOW) == len(replies)
    [first] = [r for r in canned_replies.all_replies(engine=engine) if r["title"] == replies[0][0]]
    canned_replies.delete(first["id"], engine=engine)
    with unit_of_work(engine) as session:  # seeding again adds back only what is missing
        assert write_canned_replies(session, replies, now=DEMO_NOW) == 1
    with unit_of_work(engine) as session:
        assert write_canned_replies(session, replies, now=DEMO_NOW) == 0
    values = canned_replies.values_for(case_id=7, customer_name="Ana Lima", email="ana@example.com",
                                       agent="Alice", brand="GroupTrack CRM")
    assert all("{" not in canned_replies.expand(body, values) for _, body in replies)  # every variable known


@pytest.mark.parametrize("replies, problem", [
    ("[{title: Hi, body: 'Hi {nickname}'}]", "canned_replies[1]: unknown variable {nickname}; use one of"),
    ("[{title: Hi, body: ' '}]", "canned_replies[1]: give the reply a title and a text"),
    ("[{title: Hi, body: [1]}]", "canned_replies[1]: field 'body' must be text"),
    ("[{title: Hi, body: a}, {title: Hi, body: b}]", "canned_replies[2]: field 'title' 'Hi' appears twice"),
    ("{title: Hi}", "seed: field 'canned_replies' must be a list"),
])
def test_bad_canned_replies_are_named(replies, problem):
    with pytest.raises(SeedError, match=re.escape(problem)):
        parse_canned_replies(CONTRACT_EXAMPLE + f"canned_replies: {replies}\n")


def test_loading_twice_changes_nothing(engine, demo_customers):
    with unit_of_work(engine) as session:
        assert write_customers(session, demo_customers) == len(demo_customers)
    before = counts(engine)
    with unit_of_work(engine) as session:
        assert write_customers(session, demo_customers) == 0
    assert counts(engine) == before
    assert before["customers"] == 10


def test_relative_seed_moves_every_time_by_the_same_offset():
    text = "relative_to: 2026-01-01T00:00:00Z\n" + CONTRACT_EXAMPLE.split("\n", 1)[1]
    shifted = parse_seed(text, now=DEMO_NOW)[0].account
    plain = parse_seed(CONTRACT_EXAMPLE)[0].account
    offset = DEMO_NOW - parse_seed("customers: [{email: a@b.co, created: 2026-01-01T00:00:00Z}]")[0].created
    assert shifted.charges[0].created - plain.charges[0].created == offset
    assert shifted.subscription.current_period_end - plain.subscription.current_period_end == offset


@pytest.mark.parametrize("mutation, message", [
    (("amount: 4900, currency: usd, created: 2026-03-14T10:00:00Z, refunded: 0",
      "amount: 49.5, currency: usd, created: 2026-03-14T10:00:00Z, refunded: 0"),
     "customer ana@example.com charges[1]: field 'amount' must be an integer"),
    (("refunded: 0}", "refunded: 5000}"), "field 'refunded' (5000) exceeds the amount (4900)"),
    (("status: canceled", "status: paused"), "subscription: field 'status' must be one of"),
    (("interval: month", "interval: week"), "field 'interval' must be one of month, year"),
    (("created: 2026-03-14T10:00:00Z, refunded", "created: last tuesday, refunded"),
     "charges[1]: field 'created' is not an ISO 8601 time"),
    (("email: ana@example.com", "email: ana-at-example"), "field 'email' is malformed"),
    (("rule: R1", "rule: R9"), "refunds[1]: field 'rule' must be one of"),
    (("currency: usd\n      interval", "currency: dollars\n      interval"), "field 'currency' is malformed"),
    (("current_period_end: 2026-04-14T10:00:00Z", "current_period_end: 2026-03-01T10:00:00Z"),
     "field 'current_period_end' must be after current_period_start"),
    (("end: null", "end: 2026-03-01T00:00:00Z"), "incidents[1]: field 'end' is before its start"),
])
def test_bad_input_names_customer_and_field(mutation, message):
    old, new = mutation
    assert old in CONTRACT_EXAMPLE
    with pytest.raises(SeedError, match=None) as err:
        parse_seed(CONTRACT_EXAMPLE.replace(old, new, 1))
    assert message in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("customers: [", "not valid YAML"),
    ("- just a list", "seed: expected a mapping"),
    ("customers: []", "must list at least one customer"),
    ("relative_to: 2026-01-01T00:00:00Z\ncustomers: [{email: a@b.co, created: 2026-01-01T00:00:00Z}]",
     "needs a time to anchor to"),
])
def test_bad_files_are_refused_whole(text, message):
    with pytest.raises(SeedError) as err:
        parse_seed(text)
    assert message in str(err.value)


def test_a_broken_customer_writes_nobody(engine):
    good = CONTRACT_EXAMPLE
    broken = good + "  - email: bob@example.com\n    created: 2026-01-01T00:00:00Z\n    charges: [{id: x, amount: 1}]\n"
    with pytest.raises(SeedError, match="customer bob@example.com charges\\[1\\]: field 'currency' is required"):
        parse_seed(broken)
    assert counts(engine)["customers"] == 0


def test_duplicate_customers_and_charge_ids_are_refused():
    dup = CONTRACT_EXAMPLE + CONTRACT_EXAMPLE.split("customers:\n", 1)[1]
    with pytest.raises(SeedError, match="customer ana@example.com: appears twice"):
        parse_seed(dup)
    other = dup.replace("ana@example.com", "ann@example.com", 1)
    with pytest.raises(SeedError, match="charge id 'ch_ana_2' is used twice"):
        parse_seed(other)
