"""Bring a database to the newest schema with Alembic, from code (no alembic.ini needed).

Many processes may ask at once (every replica starts with `upgrade`): migrations/env.py makes
them take turns, so each migration runs once. Where one process migrates for all of them (the
Kubernetes migration Job), the others wait for the schema with `wait_for_schema` instead.
"""
from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.db.session import engine_for

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def schema_is_newest(url: str) -> bool:
    """Whether the database is at the schema this code's migrations end with."""
    newest = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    with engine_for(url).connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == newest


def wait_for_schema(url: str, seconds: float, every: float = 2.0) -> None:
    """Return once another process has migrated the database to this code's schema; TimeoutError
    (one line) if that has not happened within `seconds`. Never migrates itself."""
    deadline = time.monotonic() + seconds
    while not schema_is_newest(url):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"the database is not at this version's schema after {seconds:.0f} s: "
                               "run `bot migrate` (on Kubernetes, the migration Job)")
        time.sleep(every)
