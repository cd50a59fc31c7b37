"""Attacks on a live hand-off (issue 26, item 9): the database fails just as a session starts.

Rasa's session start clears a pause, so whether a person is chatting is asked of the app
database at every session start (bot/ops/rasa_session.py). The attack: a customer mid
hand-off comes back after the session expired while the database is down. The check used
to answer "nobody is chatting" on a database error, and the assistant answered over the
agent. It must fail closed: paused, nothing predicted, the customer told why it holds back.

Rasa's real processor and trained model (tests/support/rasa_model.py); the database is a
PostgreSQL address where nothing listens, so the failure is a real refused connection."""
from __future__ import annotations

import time

import pytest
from rasa.shared.core.events import ActionExecuted, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core import messages
from bot.ops.processes import free_port
from tests.support.rasa_model import loaded_agent, send, store, tracker_of

TWO_HOURS_AGO = time.time() - 2 * 3600  # past the domain's 60-minute session


@pytest.fixture
def database_down(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://grouptrack@127.0.0.1:{free_port()}/gone")


def mid_hand_off(agent, sender: str) -> None:
    """The customer asked for a person, an agent joined (Rasa paused), and then two quiet hours."""
    events = [ActionExecuted("action_listen", timestamp=TWO_HOURS_AGO),
              UserUttered("I want to talk to a person", {"name": "request_human", "confidence": 1.0},
                          timestamp=TWO_HOURS_AGO + 1),
              ActionExecuted("action_hand_to_person", timestamp=TWO_HOURS_AGO + 2),
              ActionExecuted("action_listen", timestamp=TWO_HOURS_AGO + 3),
              ConversationPaused(timestamp=TWO_HOURS_AGO + 60)]
    store(agent, DialogueStateTracker.from_events(sender, events, agent.domain.slots))


def actions_after_the_message(agent, sender: str) -> list[str]:
    events = list(tracker_of(agent, sender).events)
    last_message = max(i for i, event in enumerate(events) if isinstance(event, UserUttered))
    return [e.action_name for e in events[last_message:] if isinstance(e, ActionExecuted)]


def test_a_session_that_starts_while_the_database_is_down_never_answers_over_the_agent(database_down):
    agent = loaded_agent()
    mid_hand_off(agent, "handoff-db-down")
    told = send(agent, "handoff-db-down", "how long is the free trial?")
    assert tracker_of(agent, "handoff-db-down").is_paused()
    assert actions_after_the_message(agent, "handoff-db-down") == []  # nothing predicted, nothing run
    assert told == [messages.HOLDING_BACK]
    assert send(agent, "handoff-db-down", "hello?") == []  # told once; still holding back
    assert tracker_of(agent, "handoff-db-down").is_paused()


def test_a_new_conversation_while_the_database_is_down_is_held_back_too(database_down):
    agent = loaded_agent()  # an in-memory tracker lost with a restart starts over like this
    told = send(agent, "new-db-down", "I'd like a refund")
    assert told == [messages.HOLDING_BACK] and tracker_of(agent, "new-db-down").is_paused()
    assert actions_after_the_message(agent, "new-db-down") == []
