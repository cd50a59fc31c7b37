"""The support team's figures for a period, read from the database as it is.

Conversations come from `conversations` (every channel notes each customer message
there), people's work from `review_cases` and `case_events`, money from the ledger (what
Stripe confirmed), satisfaction from `ratings`. A conversation counts once the customer
wrote in it (a help widget only opened has a row, but is no conversation), in the period it
started; a case, a movement and a rating in the period they were made. With a channel
chosen, cases, money and ratings count only for conversations on that channel ("widget"
is the help widget; "rest" the REST API used by other apps).
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core.statuses import LedgerStatus, MovementKind
from bot.db import models
from bot.db.session import unit_of_work

CHANNELS = ("widget", "rest", "socketio", "email", "slack")
PERIODS = (7, 30, 90)
# What a person does that the customer hears about, and what ends a case.
ANSWERS = ("joined", "message", "approved", "adjusted", "denied", "closed", "handed_back")
RESOLUTIONS = ("approved", "adjusted", "denied", "closed", "handed_back")


def report(*, now: datetime, days: int = 30, channel: str = "", engine: Engine | None = None) -> dict:
    start = now - timedelta(days=days)
    with unit_of_work(engine) as session:
        conversations = _conversations(session, start, now, channel)
        ids = {c.conversation_id for c in conversations}
        in_channel = _in_channel(session, channel)
        escalated = {cid for (cid,) in session.execute(
            select(models.ReviewCase.conversation_id).where(models.ReviewCase.conversation_id.in_(ids)))
        } if ids else set()
        cases = [c for c in session.execute(select(models.ReviewCase).where(
            models.ReviewCase.created_at >= start, models.ReviewCase.created_at < now)).scalars()
            if in_channel is None or c.conversation_id in in_channel]
        timings = [_timing(case, now) for case in cases]
        money = [m for m in session.execute(
            select(models.LedgerEntry.kind, models.LedgerEntry.amount, models.LedgerEntry.currency,
                   models.LedgerEntry.created_at, models.DecisionRecord.rule, models.DecisionRecord.conversation_id)
            .outerjoin(models.DecisionRecord, models.DecisionRecord.id == models.LedgerEntry.decision_id)
            .where(models.LedgerEntry.kind.in_((MovementKind.REFUND, MovementKind.CREDIT)),
                   models.LedgerEntry.status == LedgerStatus.SUCCEEDED,
                   models.LedgerEntry.created_at >= start, models.LedgerEntry.created_at < now))
            if in_channel is None or m.conversation_id in in_channel]
        ratings = [r for r in session.execute(select(models.Rating).where(
            models.Rating.created_at >= start, models.Rating.created_at < now)).scalars()
            if in_channel is None or r.conversation_id in in_channel]
        scores = [r.score for r in ratings]
        rating_days = [(r.created_at.date(), r.score) for r in ratings]
    first = [t["first_response"] for t in timings if t["first_response"] is not None]
    resolved = [t["resolution"] for t in timings if t["resolution"] is not None]
    return {
        "start": start, "end": now, "days": days, "channel": channel,
        "conversations": len(conversations), "escalated": len(escalated),
        "without_person_rate": _share(len(conversations) - len(escalated), len(conversations)),
        "escalation_rate": _share(len(escalated), len(conversations)),
        "cases": len(cases), "resolved": len(resolved),
        "first_response": _summary(first), "resolution_time": _summary(resolved),
        "sla_breaches": sum(t["breached"] for t in timings),
        "money": _money_by_rule(money),
        "satisfaction": {"count": len(scores), "average": statistics.fmean(scores) if scores else None,
                         "satisfied_rate": _share(sum(s >= 4 for s in scores), len(scores)),
                         "distribution": [scores.count(s) for s in range(1, 6)]},
        "daily": _daily(start, now, conversations, escalated, cases, timings, money, rating_days),
    }


def _conversations(session, start: datetime, end: datetime, channel: str) -> list:
    query = select(models.Conversation.conversation_id, models.Conversation.started_at).where(
        models.Conversation.started_at >= start, models.Conversation.started_at < end,
        models.Conversation.customer_messages > 0)
    return list(session.execute(_channel_filter(query, channel)))


def _in_channel(session, channel: str) -> set[str] | None:
    """The conversations on the chosen channel, or None for every channel."""
    if not channel:
        return None
    return set(session.execute(_channel_filter(select(models.Conversation.conversation_id), channel)).scalars())


def _channel_filter(query, channel: str):
    row = models.Conversation
    if channel == "widget":
        return query.where(row.widget.is_(True))
    if channel:
        return query.where(row.channel == channel, row.widget.is_(False))
    return query


def _timing(case: models.ReviewCase, now: datetime) -> dict:
    """Seconds to the first answer and to the resolution, and whether it missed its due time."""
    answered = next((e.at for e in case.events if e.actor.startswith("agent:") and e.action in ANSWERS), None)
    resolved = next((e.at for e in case.events if e.action in RESOLUTIONS), None)
    return {"first_response": (answered - case.created_at).total_seconds() if answered else None,
            "resolution": (resolved - case.created_at).total_seconds() if resolved else None,
            "breached": (resolved or now) > case.due_at, "opened": case.created_at.date(),
            "resolved_on": resolved.date() if resolved else None}


def _summary(seconds: list[float]) -> dict:
    return {"count": len(seconds), "median": statistics.median(seconds) if seconds else None,
            "mean": statistics.fmean(seconds) if seconds else None}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _money_by_rule(rows: list) -> list[dict]:
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = (row.kind, row.rule or "", row.currency or "")
        totals[key][0] += 1
        totals[key][1] += row.amount
    return [{"kind": kind, "rule": rule, "currency": currency, "count": count, "amount": amount}
            for (kind, rule, currency), (count, amount) in sorted(totals.items())]


def _daily(start: datetime, end: datetime, conversations, escalated, cases, timings, money, rating_days) -> list[dict]:
    days = [start.date() + timedelta(days=n) for n in range((end.date() - start.date()).days + 1)]
    rows: dict[date, dict] = {d: {"day": d, "conversations": 0, "escalated": 0, "cases_opened": 0,
                                  "cases_resolved": 0, "money": defaultdict(int), "scores": []} for d in days}
    for conversation in conversations:
        row = rows[conversation.started_at.date()]
        row["conversations"] += 1
        row["escalated"] += conversation.conversation_id in escalated
    for timing in timings:
        rows[timing["opened"]]["cases_opened"] += 1
        if timing["resolved_on"] in rows:
            rows[timing["resolved_on"]]["cases_resolved"] += 1
    for movement in money:
        rows[movement.created_at.date()]["money"][(movement.kind, movement.currency or "")] += movement.amount
    for day, score in rating_days:
        rows[day]["scores"].append(score)
    return [{**row, "money": dict(row["money"]),
             "average_rating": statistics.fmean(row["scores"]) if row["scores"] else None,
             "ratings": len(row["scores"])} for row in rows.values()]
