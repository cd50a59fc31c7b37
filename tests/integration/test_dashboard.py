"""The dashboard's figures on a seeded scenario whose every number is worked out by hand,
on SQLite and PostgreSQL: conversations by channel, escalation, first response and
resolution times, replies past due, money by rule and currency, and satisfaction."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.dashboard import report
from bot.core.timeutil import parse_utc
from bot.db import models
from bot.db.session import unit_of_work

NOW = parse_utc("2026-11-30T12:00:00Z")
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def conversation(session, cid, channel, started, widget=False, messages=1):
    session.add(models.Conversation(conversation_id=cid, channel=channel, widget=widget, started_at=started,
                                    customer_messages=messages, last_customer_at=started if messages else None))


def case(session, cid, kind, opened, events, status="open"):
    row = models.ReviewCase(dedupe_key=f"conversation:{cid}:{kind}", kind=kind, status=status, reason=kind,
                            channel="rest", conversation_id=cid, due_at=opened + 48 * HOUR, created_at=opened,
                            updated_at=opened)
    session.add(row)
    session.flush()
    session.add(models.CaseEvent(case_id=row.id, at=opened, actor="assistant", action="opened", detail={}))
    for after, actor, action in events:
        session.add(models.CaseEvent(case_id=row.id, at=opened + after, actor=actor, action=action, detail={}))


def movement(session, customer, cid, kind, rule, amount, currency, at, status="succeeded"):
    decision = models.DecisionRecord(
        customer_id=customer.id, rule=rule, reason="late_cancellation", outcome="auto_refund", now=at, base=amount,
        fee=0, refund=amount if kind == "refund" else 0, credit=amount if kind == "credit" else 0,
        currency=currency, requires_cancellation=False, explanation="", facts={}, policy={},
        conversation_id=cid, recorded_at=at)
    session.add(decision)
    session.flush()
    session.add(models.LedgerEntry(idempotency_key=f"{kind}-{cid}-{rule}-{status}", kind=kind, status=status,
                                   decision_id=decision.id, customer_id=customer.id, amount=amount,
                                   currency=currency, created_at=at, updated_at=at))


def rating(session, cid, score, at):
    session.add(models.Rating(conversation_id=cid, subject=f"case:{cid}", score=score, created_at=at))


@pytest.fixture
def scenario(seeded_engine):
    with unit_of_work(seeded_engine) as session:
        ana = session.execute(select(models.Customer).where(models.Customer.email == "ana@example.com")).scalar_one()
        conversation(session, "c1-widget", "rest", NOW - DAY, widget=True)      # the assistant alone
        conversation(session, "c2-rest", "rest", NOW - 2 * DAY)                 # a live chat
        conversation(session, "c3-email", "email", NOW - 3 * DAY)               # a refund, decided late
        conversation(session, "c4-slack", "slack", NOW - 40 * DAY)              # before the period
        conversation(session, "c5-widget", "rest", NOW - 5 * DAY, widget=True)  # a ticket nobody answered
        for n in (1, 2):  # help widgets opened and closed without a word: no conversation
            conversation(session, f"c6-opened-{n}", "rest", NOW - n * DAY, widget=True, messages=0)
        case(session, "c2-rest", "handoff", NOW - 2 * DAY, [(5 * MINUTE, "agent:alice", "claimed"),
                                                            (10 * MINUTE, "agent:alice", "joined"),
                                                            (40 * MINUTE, "agent:alice", "handed_back")], "closed")
        case(session, "c3-email", "refund", NOW - 3 * DAY, [(50 * HOUR, "agent:bob", "approved")], "approved")
        case(session, "c5-widget", "ticket", NOW - 5 * DAY, [(HOUR, "agent:bob", "note")])
        case(session, "c4-slack", "handoff", NOW - 40 * DAY, [])
        movement(session, ana, "c1-widget", "refund", "R1", 4655, "usd", NOW - DAY)
        movement(session, ana, "c3-email", "credit", "R5", 1000, "eur", NOW - DAY)
        movement(session, ana, "c3-email", "refund", "R2", 999, "usd", NOW - DAY, status="failed")
        movement(session, ana, "c4-slack", "refund", "R1", 500, "usd", NOW - 40 * DAY)
        rating(session, "c1-widget", 5, NOW - DAY)
        rating(session, "c2-rest", 3, NOW - 2 * DAY)
        rating(session, "c4-slack", 1, NOW - 40 * DAY)
    return seeded_engine


def test_the_figures_of_thirty_days_on_every_channel(scenario):
    figures = report(now=NOW, days=30, engine=scenario)
    assert (figures["conversations"], figures["escalated"], figures["cases"], figures["resolved"]) == (4, 3, 3, 2)
    assert (figures["without_person_rate"], figures["escalation_rate"]) == (0.25, 0.75)
    # First answers: the live join after 10 minutes, the approval after 50 hours (a note is no answer).
    assert figures["first_response"] == {"count": 2, "median": (600 + 180000) / 2, "mean": (600 + 180000) / 2}
    assert figures["resolution_time"] == {"count": 2, "median": (2400 + 180000) / 2, "mean": (2400 + 180000) / 2}
    assert figures["sla_breaches"] == 2  # the refund decided after 50 h, the ticket still open after 5 days
    assert figures["money"] == [
        {"kind": "credit", "rule": "R5", "currency": "eur", "count": 1, "amount": 1000},
        {"kind": "refund", "rule": "R1", "currency": "usd", "count": 1, "amount": 4655}]
    assert figures["satisfaction"] == {"count": 2, "average": 4.0, "satisfied_rate": 0.5,
                                       "distribution": [0, 0, 1, 0, 1]}
    days = {row["day"]: row for row in figures["daily"]}
    assert len(days) == 31 and days[(NOW - DAY).date()]["conversations"] == 1
    assert days[(NOW - DAY).date()]["money"] == {("refund", "usd"): 4655, ("credit", "eur"): 1000}
    assert days[(NOW - 3 * DAY).date()]["cases_opened"] == 1 and days[(NOW - DAY).date()]["cases_resolved"] == 1
    assert sum(row["conversations"] for row in figures["daily"]) == 4


def test_a_channel_counts_only_its_own_conversations(scenario):
    widget = report(now=NOW, days=30, channel="widget", engine=scenario)
    assert (widget["conversations"], widget["escalated"], widget["cases"], widget["sla_breaches"]) == (2, 1, 1, 1)
    assert [m["rule"] for m in widget["money"]] == ["R1"] and widget["satisfaction"]["average"] == 5.0
    email = report(now=NOW, days=30, channel="email", engine=scenario)
    assert (email["conversations"], email["escalation_rate"], email["money"][0]["currency"]) == (1, 1.0, "eur")
    rest = report(now=NOW, days=30, channel="rest", engine=scenario)
    assert rest["conversations"] == 1  # the REST API without the widget
    longer = report(now=NOW, days=90, engine=scenario)
    assert (longer["conversations"], longer["satisfaction"]["count"]) == (5, 3)
    assert report(now=NOW, days=7, channel="slack", engine=scenario)["without_person_rate"] is None  # nothing to divide
