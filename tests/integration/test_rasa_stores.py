"""The production tracker store against Rasa's own SQL tracker store, on SQLite and on
PostgreSQL: the same conversation saved turn by turn through each gives the same rows in the
same order, streams the same events to the broker, and retrieves the same tracker."""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.ops.rasa_stores import ResilientSQLTrackerStore
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


class Recording(EventBroker):
    def __init__(self):
        self.published = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def store_settings(url: str) -> dict:
    parsed = sa.engine.make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return {"dialect": "sqlite", "db": parsed.database}
    return {"dialect": "postgresql", "host": parsed.host, "port": parsed.port, "db": parsed.database,
            "username": parsed.username, "password": parsed.password}


def turns(t0: float) -> list[list]:
    """Three saves of one conversation: its start, a later turn, and a new session."""
    start = [ActionExecuted("action_session_start", timestamp=t0), SessionStarted(timestamp=t0 + 0.1),
             ActionExecuted("action_listen", timestamp=t0 + 0.2),
             UserUttered("I never used it, can I get a refund?", {"name": "unused_account", "confidence": 0.93},
                         timestamp=t0 + 1),
             SlotSet("customer_email", "dan@example.com", timestamp=t0 + 1.1),
             ActionExecuted("action_assess_refund", timestamp=t0 + 1.2),
             BotUttered("No refund is due, but I can cancel it.", timestamp=t0 + 1.3),
             ActionExecuted("action_listen", timestamp=t0 + 1.4)]
    later = [UserUttered("why?", {"name": "ask_why", "confidence": 0.8}, timestamp=t0 + 5),
             ActionExecuted("action_explain", timestamp=t0 + 5.1), BotUttered("Because...", timestamp=t0 + 5.2),
             ActionExecuted("action_listen", timestamp=t0 + 5.3)]
    next_session = [ActionExecuted("action_session_start", timestamp=t0 + 4000),
                    SessionStarted(timestamp=t0 + 4000.1), ActionExecuted("action_listen", timestamp=t0 + 4000.2),
                    UserUttered("hello again", {"name": "greet", "confidence": 0.99}, timestamp=t0 + 4001),
                    ActionExecuted("action_listen", timestamp=t0 + 4001.1)]
    return [start, later, next_session]


async def converse(store: SQLTrackerStore, sender: str) -> list:
    """Save each turn onto what the store retrieves, as Rasa's processor does; what each
    retrieve gave back along the way."""
    retrieved = []
    for events in turns(1_780_000_000.0):
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        retrieved.append([e.as_dict() for e in tracker.events])
        for event in events:
            tracker.update(event)
        await store.save(tracker)
    final = await store.retrieve(sender)
    full = await store.retrieve_full_tracker(sender)
    return retrieved + [[e.as_dict() for e in final.events], [e.as_dict() for e in full.events]]


def stored_rows(store: SQLTrackerStore, sender: str) -> list[tuple]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(
            "SELECT type_name, timestamp, intent_name, action_name, data FROM events "
            "WHERE sender_id = :sender ORDER BY id"), {"sender": sender})]


def test_a_conversation_is_stored_streamed_and_retrieved_as_rasas_own_store_does(db_url):
    rasa_broker, our_broker = Recording(), Recording()
    rasa_store = SQLTrackerStore(DOMAIN, event_broker=rasa_broker, **store_settings(db_url))
    our_store = ResilientSQLTrackerStore(DOMAIN, event_broker=our_broker, **store_settings(db_url))
    try:
        theirs = asyncio.run(converse(rasa_store, "conversation"))
        ours = asyncio.run(converse(our_store, "conversation-ours"))
        assert ours == theirs
        # the last session from its SessionStarted on, then all of the conversation
        assert len(theirs[-2]) == 4 and len(theirs[-1]) == 17
        assert stored_rows(our_store, "conversation-ours") == stored_rows(rasa_store, "conversation")
        assert [{**e, "sender_id": "conversation"} for e in our_broker.published] == rasa_broker.published
        assert len(rasa_broker.published) == 17
    finally:
        rasa_store.engine.dispose()
        our_store.engine.dispose()


def test_a_tracker_saved_twice_is_stored_and_streamed_as_rasas_own_store_does(db_url):
    """Rasa counts what is stored from the session's SessionStarted on, so a tracker that
    still holds the action_session_start before it stores that one's successor again when it
    is saved twice (its processor saves once a turn, onto a tracker retrieved from
    SessionStarted on, so it never does). Ours does the same: it is Rasa's store."""
    rows, published = [], []
    for store_class, sender in ((SQLTrackerStore, "twice"), (ResilientSQLTrackerStore, "twice-ours")):
        broker = Recording()
        store = store_class(DOMAIN, event_broker=broker, **store_settings(db_url))
        try:
            tracker = DialogueStateTracker(sender, DOMAIN.slots)
            for event in turns(1_780_000_000.0)[0]:
                tracker.update(event)
            asyncio.run(store.save(tracker))
            asyncio.run(store.save(tracker))
            rows.append(stored_rows(store, sender))
            published.append([{**e, "sender_id": None} for e in broker.published])
        finally:
            store.engine.dispose()
    assert rows[0] == rows[1] and published[0] == published[1]
    assert len(rows[0]) == 9


@pytest.mark.parametrize("store_class", [SQLTrackerStore, ResilientSQLTrackerStore])
def test_an_unknown_conversation_retrieves_as_none(db_url, store_class):
    store = store_class(DOMAIN, **store_settings(db_url))
    try:
        assert asyncio.run(store.retrieve("nobody")) is None
    finally:
        store.engine.dispose()
