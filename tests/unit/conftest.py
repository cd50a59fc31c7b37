"""Unit tests never read the developer's own database. An action that looks something up
(the fallback asks whether the conversation has an open case) would otherwise read
var/'s database: migrated and seeded on a machine that ran `make run`, absent on a clean
clone, so a test could pass on one and fail on the other. Each unit test sees one empty,
migrated SQLite database instead, as a clean install has before seeding."""
from __future__ import annotations

import pytest

from bot.db.migrate import upgrade


@pytest.fixture(scope="session")
def empty_app_database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('app')}/empty.db"
    upgrade(url)
    return url


@pytest.fixture(autouse=True)
def _no_developer_database(empty_app_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_app_database)
