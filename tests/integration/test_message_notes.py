"""Customer messages are noted on their conversations' rows after the turn, by one background
writer: the turn does not wait for the database, notes made while a write is under way share
the next transaction, and nothing is lost or counted twice."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import select

from bot.app.chats import Chats
from bot.core.timeutil import parse_utc
from bot.db import models
from bot.db.session import unit_of_work
from channels.turns import MessageNotes

NOON = parse_utc("2026-11-23T12:00:00Z")
SECOND = timedelta(seconds=1)


class SlowChats:
    """Records each batch; the first write waits until the test lets it go."""

    def __init__(self):
        self.batches, self.release = [], threading.Event()

    def note_customer_messages(self, waiting):
        self.release.wait(5)
        self.batches.append(dict(waiting))


def test_notes_made_during_a_write_share_the_next_transaction():
    async def go():
        chats = SlowChats()
        notes = MessageNotes(chats)
        notes.add("rest", "c1", NOON)
        await asyncio.sleep(0.05)          # the writer has taken c1 and is writing it
        notes.add("rest", "c2", NOON + SECOND)
        notes.add("rest", "c2", NOON + 2 * SECOND)
        notes.add("slack", "c3", NOON + 3 * SECOND)
        chats.release.set()
        for _ in range(100):
            if len(chats.batches) == 2:
                break
            await asyncio.sleep(0.02)
        return chats.batches
    first, second = asyncio.run(go())
    assert first == {"c1": ("rest", 1, NOON, NOON)}
    assert second == {"c2": ("rest", 2, NOON + SECOND, NOON + 2 * SECOND),
                      "c3": ("slack", 1, NOON + 3 * SECOND, NOON + 3 * SECOND)}


def test_a_message_without_a_conversation_is_not_noted():
    async def go():
        chats = SlowChats()
        chats.release.set()
        notes = MessageNotes(chats)
        notes.add("rest", None, NOON)
        await notes.flush()
        return chats.batches
    assert asyncio.run(go()) == []


def test_batches_add_to_the_rows_counts(engine):
    chats = Chats(engine)

    async def go():
        notes = MessageNotes(chats)
        notes.add("rest", "conv-a", NOON)
        notes.add("rest", "conv-a", NOON + SECOND)
        await notes.flush()
        notes.add("rest", "conv-a", NOON + 5 * SECOND)
        notes.add("email", "conv-b", NOON + 6 * SECOND)
        await notes.flush()
    asyncio.run(go())
    with unit_of_work(engine) as session:
        rows = {r.conversation_id: r for r in session.execute(select(models.Conversation)).scalars()}
        assert rows["conv-a"].customer_messages == 3
        assert rows["conv-a"].started_at == NOON and rows["conv-a"].last_customer_at == NOON + 5 * SECOND
        assert rows["conv-b"].channel == "email" and rows["conv-b"].customer_messages == 1


def test_a_row_another_writer_made_keeps_what_it_holds_and_is_counted_on(engine):
    chats = Chats(engine)
    chats.widget_seen("conv-w", now=NOON - 60 * SECOND)
    many = {f"conv-{n:03}": ("rest", 2, NOON, NOON + SECOND) for n in range(150)}   # two statements' worth
    chats.note_customer_messages({"conv-w": ("rest", 1, NOON, NOON), **many})
    chats.note_customer_messages({"conv-w": ("rest", 2, NOON + SECOND, NOON + 2 * SECOND)})
    with unit_of_work(engine) as session:
        rows = {r.conversation_id: r for r in session.execute(select(models.Conversation)).scalars()}
    widget = rows["conv-w"]
    assert widget.widget and widget.widget_seen_at == NOON - 60 * SECOND and widget.started_at == NOON - 60 * SECOND
    assert widget.customer_messages == 3 and widget.last_customer_at == NOON + 2 * SECOND
    assert len(rows) == 151 and {r.customer_messages for n, r in rows.items() if n != "conv-w"} == {2}
    assert all(not r.widget and r.channel == "rest" for n, r in rows.items() if n != "conv-w")


def test_a_database_error_is_logged_not_raised(caplog):
    from sqlalchemy.exc import OperationalError

    class Broken:
        def note_customer_messages(self, waiting):
            raise OperationalError("UPDATE", {}, Exception("database is locked"))

    async def go():
        notes = MessageNotes(Broken())
        notes.add("rest", "c1", NOON)
        await notes.flush()
    asyncio.run(go())
    assert "messages not noted" in caplog.text
