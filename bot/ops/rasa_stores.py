"""Rasa's SQL tracker store, made to survive a database restart.

Rasa 3.6 builds its engine without `pool_pre_ping`, so after PostgreSQL restarts every
pooled connection fails once, and each failure is a customer turn lost with a 500. This
store is Rasa's own with a pinging pool; endpoints.prod.yml names it by module path.
"""
from __future__ import annotations

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class ResilientSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
