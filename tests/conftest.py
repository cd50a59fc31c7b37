"""Shared fixtures: databases (SQLite and PostgreSQL, both real), seeds, a local Stripe."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app.bootstrap import bootstrap
from bot.core.timeutil import parse_utc
from bot.db.migrate import upgrade
from bot.db.session import make_engine, unit_of_work
from bot.ops.seed import parse_seed, write_customers

bootstrap()  # as every entry point does: what billing publishes has its handlers

ROOT = Path(__file__).resolve().parent.parent
DEMO_SEED = ROOT / "seeds" / "demo.yml"
DEMO_NOW = parse_utc("2026-11-22T12:00:00Z")  # the demo seed's relative_to: times as written
POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

pytest_plugins = ["tests.support.stripe_server", "tests.support.slack_standin", "tests.support.smtp_server",
                  "tests.support.imap_server", "tests.support.e2e_stack"]


@pytest.fixture
def wire():
    """`wire(gateway=..., send_mail=...)`: the use cases take these stand-ins from the bootstrap
    (bot/app/dependencies.py) for this test, and production's wiring again afterwards."""
    yield bootstrap
    bootstrap()


def _postgres_database():
    """A fresh database on the local PostgreSQL, dropped afterwards."""
    name = f"gt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        admin.dispose()
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
    else:
        yield from _postgres_database()


def migrated_engine(url: str):
    """An engine on a database brought to the newest schema, disposed of afterwards."""
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db_url):
    yield from migrated_engine(db_url)


@pytest.fixture
def demo_customers():
    return parse_seed(DEMO_SEED.read_text(), now=DEMO_NOW)


@pytest.fixture
def seeded_engine(engine, demo_customers):
    with unit_of_work(engine) as session:
        write_customers(session, demo_customers)
    return engine
