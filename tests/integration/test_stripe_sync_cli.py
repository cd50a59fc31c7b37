"""`bot sync` against a real localstripe process: fills an empty mirror, changes nothing
the second time, resumes an interrupted run, and does not undo a newer webhook event."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.billing.mirror.follow import handle_event, sync_from_stripe
from bot.db import models
from bot.db.migrate import upgrade
from bot.db.session import make_engine, unit_of_work
from tests.conftest import ROOT, migrated_engine

TABLES = (models.Customer, models.Subscription, models.Charge, models.Refund)


def bot(*args, env):
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120)


def dump(engine) -> dict:
    """Every mirrored row, every column: what "changes nothing" is checked against."""
    with unit_of_work(engine) as session:
        return {model.__tablename__: [
            {column.name: getattr(row, column.key) for column in model.__table__.columns}
            for row in session.execute(select(model).order_by(model.id)).scalars()] for model in TABLES}


@pytest.fixture
def empty_engine(tmp_path):
    yield from migrated_engine(f"sqlite:///{tmp_path}/synced.db")


def test_bot_sync_fills_an_empty_mirror_and_a_second_run_changes_nothing(live_engine, localstripe, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
           "STRIPE_API_BASE": localstripe, "STRIPE_API_KEY": "sk_test_local"}
    first = bot("sync", "--page-size", "4", env=env)
    assert first.returncode == 0, first.stderr
    assert "objects read" in first.stdout and "Traceback" not in first.stderr
    synced = make_engine(env["DATABASE_URL"])
    try:
        after_first = dump(synced)
        source = dump(live_engine)
        assert sorted(c["email"] for c in after_first["customers"]) == sorted(c["email"] for c in source["customers"])
        by_stripe = {c["stripe_id"]: c for c in after_first["charges"]}
        for charge in source["charges"]:  # every seeded payment, with what was refunded of it
            assert (by_stripe[charge["stripe_id"]]["amount"], by_stripe[charge["stripe_id"]]["refunded"]) == \
                (charge["amount"], charge["refunded"])
        pushed = {s["stripe_id"] for s in source["subscriptions"] if s["stripe_id"]}
        assert pushed and pushed <= {s["stripe_id"] for s in after_first["subscriptions"]}
        assert any(r["amount"] for r in after_first["refunds"])  # jon's refund, made in Stripe by the seed
        second = bot("sync", env=env)
        assert second.returncode == 0, second.stderr
        assert "0 mirror rows changed" in second.stdout
        assert dump(synced) == after_first
    finally:
        synced.dispose()


class Interrupted(Exception):
    pass


def test_an_interrupted_sync_resumes_where_it_stopped(live_engine, gateway, empty_engine, tmp_path):
    pages = []

    def stop_after_three(done, total, label):
        pages.append(label)
        if len(pages) == 3:
            raise Interrupted(label)

    with pytest.raises(Interrupted):
        sync_from_stripe(empty_engine, gateway, page_size=3, progress=stop_after_three)
    with unit_of_work(empty_engine) as session:
        cursors = {c.resource: (c.after_id, c.done) for c in session.execute(select(models.StripeSyncCursor)).scalars()}
    assert cursors["customers"][0] and cursors["charges"] == (None, False)
    resumed = sync_from_stripe(empty_engine, gateway, page_size=3)
    assert resumed["resumed"] is True
    with unit_of_work(empty_engine) as session:
        assert session.execute(select(models.StripeSyncCursor)).first() is None  # finished: next run is whole

    fresh_url = f"sqlite:///{tmp_path}/fresh.db"
    upgrade(fresh_url)
    fresh = make_engine(fresh_url)
    try:
        whole = sync_from_stripe(fresh, gateway, page_size=3)
        assert whole["resumed"] is False
        # The resumed run read only what the interrupted one had not: together, one whole run.
        assert resumed["read"] < whole["read"]
        strip = lambda d: {t: [{k: v for k, v in r.items() if k not in ("id", "stripe_updated_at", "customer_id")}  # noqa: E731
                               for r in rows] for t, rows in d.items()}
        assert strip(dump(empty_engine)) == strip(dump(fresh))
    finally:
        fresh.dispose()


def test_sync_does_not_undo_a_newer_webhook_event(live_engine, gateway, empty_engine):
    sync_from_stripe(empty_engine, gateway)
    with unit_of_work(empty_engine) as session:
        sub = session.execute(select(models.Subscription).where(
            models.Subscription.cancel_at_period_end.is_(False)).limit(1)).scalar_one()
        stripe_sub = gateway.client.subscriptions.retrieve(sub.stripe_id).to_dict()
    future = int(sub.stripe_updated_at.timestamp()) + 3600  # an event Stripe made after the sync reads
    handle_event({"id": "evt_future", "type": "customer.subscription.updated", "created": future,
                  "data": {"object": {**stripe_sub, "cancel_at_period_end": True}}}, engine=empty_engine)
    sync_from_stripe(empty_engine, gateway)  # Stripe (localstripe) still says False, as of an older moment
    with unit_of_work(empty_engine) as session:
        assert session.get(models.Subscription, sub.id).cancel_at_period_end is True
