"""Alembic environment: the URL comes from the caller or from DATABASE_URL."""
from alembic import context
from sqlalchemy import text

from bot.db.models import Base
from bot.db.session import engine_for
from bot.settings import settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or settings().database_url
# Any constant every process of the project shares ("gt-migr"): replicas that start together
# (the migration Job, each console) upgrade one at a time, and those after the first find the
# schema already new and change nothing. SQLite's write lock does the same for one file.
MIGRATION_LOCK = 0x67742D6D69677200


def run_migrations_online() -> None:
    with engine_for(url).connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # before Alembic reads the current version
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
