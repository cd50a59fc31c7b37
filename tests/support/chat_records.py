"""A stand-in for the web chat's records (bot.app.chats.Chats) in memory, for the widget
server's tests without a database."""
from __future__ import annotations

import pytest

from bot.app.chats import ChatError
from bot.core.conversation_ids import fits


class FakeChats:
    """The widget's records, in memory: presence, the team's state, ratings and copies."""

    def __init__(self, rating_subject=None, address=None):
        self.seen, self.left, self.ratings, self.copies = [], [], [], []
        self.rating_subject, self.address = rating_subject, address
        self.spaces = {}  # conversation id -> the channel it belongs to

    def claim(self, conversation_id, space, *, now):
        return fits(conversation_id, space) and self.spaces.setdefault(conversation_id, space) == space

    def belongs(self, conversation_id, space):
        return fits(conversation_id, space) and self.spaces.get(conversation_id, space) == space

    def widget_seen(self, conversation_id, *, now, token=None):
        self.seen.append((conversation_id, token))

    def widget_left(self, conversation_id, *, now):
        self.left.append(conversation_id)

    def named(self, lines):
        return [{**line, "name": "Sam" if line["who"] == "agent" else None} for line in lines]

    def chat_state(self, conversation_id, *, now):
        rating = {"subject": self.rating_subject, "question": "How did we do?"} if self.rating_subject else None
        return {"person": None, "typing": False, "rating": rating, "version": str(len(self.ratings))}

    def rate(self, conversation_id, subject, score, comment, *, now):
        if subject != self.rating_subject or score not in range(1, 6):
            raise ChatError("Choose from 1 to 5 stars.")
        self.ratings.append((conversation_id, subject, score, comment))
        self.rating_subject = None

    def send_copy(self, conversation_id, lines, *, brand, email_from):
        if self.address is None:
            raise ChatError("sign in first")
        self.copies.append((self.address, [line["text"] for line in lines]))
        return f"sent to {self.address}"


@pytest.fixture(scope="module")
def channel_records():
    """The customer channels' records (channels/turns.py) in memory, for testing a channel in
    this process without a database."""
    with pytest.MonkeyPatch.context() as patch:
        records = FakeChats()
        patch.setattr("channels.turns.chats", records)
        yield records
