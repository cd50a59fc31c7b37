"""Prometheus metrics.

Business figures (decisions, money movements, cases) are read from the app database at
scrape time, so every replica reports the same truth and a restart loses nothing.
What only a process sees (turns and their latency, action calls, Stripe errors) are
ordinary counters and histograms in that process; scrape each process.
"""
from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from bot.core.constant_time import secret_matches
from bot.core.statuses import LedgerStatus
from bot.db import models
from bot.db.session import unit_of_work
from bot.settings import settings

TURNS = Counter("grouptrack_turns_total", "Customer messages answered, by channel and result",
                ["channel", "result"])
TURN_SECONDS = Histogram("grouptrack_turn_seconds", "Time from a customer's message to the assistant's answer",
                         ["channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
ACTION_SECONDS = Histogram("grouptrack_action_seconds", "Custom action run time, by action", ["action"],
                           buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30))
STRIPE_ERRORS = Counter("grouptrack_stripe_errors_total", "Stripe calls that failed, by error and retryability",
                        ["error", "retryable"])


class MirrorCollector:
    """Decisions, money and cases as the database holds them, at scrape time."""

    def __init__(self, engine):
        self.engine = engine

    def collect(self):
        decisions = CounterMetricFamily("grouptrack_decisions", "Refund-rule decisions, by rule and outcome",
                                        labels=["rule", "outcome"])
        movements = CounterMetricFamily("grouptrack_money_movements", "Ledger movements, by kind and status",
                                        labels=["kind", "status"])
        moved = CounterMetricFamily("grouptrack_money_moved_minor_units",
                                    "Money Stripe confirmed, in minor units, by kind and currency",
                                    labels=["kind", "currency"])
        cases = GaugeMetricFamily("grouptrack_cases", "Review cases, by kind and status", labels=["kind", "status"])
        ledger = models.LedgerEntry
        with unit_of_work(self.engine) as session:
            for rule, outcome, count in session.execute(
                    select(models.DecisionRecord.rule, models.DecisionRecord.outcome, func.count())
                    .group_by(models.DecisionRecord.rule, models.DecisionRecord.outcome)):
                decisions.add_metric([rule, outcome], count)
            for kind, status, count in session.execute(
                    select(ledger.kind, ledger.status, func.count()).group_by(ledger.kind, ledger.status)):
                movements.add_metric([kind, status], count)
            for kind, currency, total in session.execute(
                    select(ledger.kind, ledger.currency, func.sum(ledger.amount))
                    .where(ledger.status == LedgerStatus.SUCCEEDED, ledger.amount > 0).group_by(ledger.kind,
                                                                                                ledger.currency)):
                moved.add_metric([kind, currency or ""], int(total))
            for kind, status, count in session.execute(
                    select(models.ReviewCase.kind, models.ReviewCase.status, func.count())
                    .group_by(models.ReviewCase.kind, models.ReviewCase.status)):
                cases.add_metric([kind, status], count)
        return [decisions, movements, moved, cases]


def exposition(engine=None) -> tuple[bytes, str]:
    """This process's metrics, plus the database's when an engine is given."""
    if engine is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    registry.register(MirrorCollector(engine))
    return generate_latest(REGISTRY) + generate_latest(registry), CONTENT_TYPE_LATEST


def aiohttp_handler(engine=None):
    """A `GET /metrics` handler for the console and the widget servers."""
    async def metrics(request: web.Request) -> web.Response:
        if not scrape_allowed(request.remote, request.headers.get("Authorization"),
                              forwarded=request.headers.get("X-Forwarded-For")):
            return web.Response(status=403, text="metrics are for this machine or a METRICS_TOKEN bearer\n")
        body, content_type = await asyncio.to_thread(exposition, engine)
        return web.Response(body=body, headers={"Content-Type": content_type})
    return metrics


def scrape_allowed(remote: str | None, authorization: str | None, *, forwarded: str | None = None) -> bool:
    """With METRICS_TOKEN set, a matching bearer token; without it, this machine only.

    A request relayed by a proxy on this machine (nginx in front of the replicas) comes
    from 127.0.0.1 whoever sent it; proxies say so in X-Forwarded-For, and such a
    request is never "this machine"."""
    token = settings().metrics_token
    if token:
        return secret_matches(authorization, f"Bearer {token}")
    return remote in ("127.0.0.1", "::1") and not forwarded
