"""Engine and unit of work. SQLite by default, PostgreSQL via DATABASE_URL."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import settings


READ_ONLY = "grouptrack_read_only"  # an execution option: see `reading`


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # SQLAlchemy 1.4 opens a new connection (and runs the PRAGMAs below) for every unit
        # of work on a file database; a pool keeps them, as SQLAlchemy 2.0 does by default.
        pooled = {"poolclass": QueuePool} if make_url(url).database not in (None, "", ":memory:") else {}
        engine = create_engine(url, future=True, connect_args={"timeout": 30, "check_same_thread": False}, **pooled)

        # pysqlite's deferred BEGIN lets two writers both read and then fail to
        # upgrade their locks; BEGIN IMMEDIATE serialises writers up front instead.
        @event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            # A read (`reading`) takes no write lock: in WAL it reads a snapshot beside the
            # writers instead of queueing behind them in SQLite's sleeping busy handler.
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(settings().database_url)


@contextmanager
def reading(engine: Engine | None = None) -> Iterator[Session]:
    """One read-only transaction: nothing it changes is kept (rolled back at the end). On
    SQLite it takes no write lock, so a look-up never waits for another process's writes."""
    factory = sessionmaker(bind=(engine or get_engine()).execution_options(**{READ_ONLY: True}), future=True,
                           expire_on_commit=False)
    with factory() as session:
        with session.begin():
            yield session
            session.rollback()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(bind=engine or get_engine(), future=True, expire_on_commit=False)
    with factory() as session:
        with session.begin():
            yield session
