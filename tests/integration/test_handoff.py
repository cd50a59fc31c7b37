"""Live handoff in the core: who answers when, joining, chatting, handing back."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app.agents import create_agent
from bot.app.case_decisions import CaseError
from bot.app.handoff import hand_back, is_live, join, request_person, send, set_available
from bot.core.timeutil import parse_utc
from bot.db import models
from bot.db.session import unit_of_work

MONDAY_MORNING = parse_utc("2026-11-23T10:00:00Z")
SUNDAY = parse_utc("2026-11-22T12:00:00Z")


class RecordingConversations:
    def __init__(self):
        self.calls, self.notices = [], []

    def pause(self, conversation_id):
        self.calls.append(("pause", conversation_id))

    def resume(self, conversation_id):
        self.calls.append(("resume", conversation_id))

    def tell(self, *, channel, conversation_id, text, sender="support_agent", notice=None):
        self.calls.append(("tell", conversation_id, sender, text))
        self.notices.append(notice)


@pytest.fixture
def agents(seeded_engine):
    for name in ("alice", "bob"):
        create_agent(name, "a long enough password", name.title(), engine=seeded_engine)
    return seeded_engine


def test_who_answers_depends_on_the_hours_and_on_an_available_agent(agents):
    ask = lambda conversation, now: request_person(  # noqa: E731
        None, now=now, channel="rest", conversation_id=conversation, engine=agents)
    assert ask("sunday", SUNDAY)["handoff"] == "after_hours"
    assert ask("sunday", SUNDAY)["next_opening"] == "2026-11-23T09:00:00+00:00"
    assert ask("monday-nobody", MONDAY_MORNING)["handoff"] == "queued"
    set_available("alice", minutes=60, now=MONDAY_MORNING, engine=agents)
    assert ask("monday-alice", MONDAY_MORNING)["handoff"] == "live"
    assert ask("monday-later", MONDAY_MORNING + timedelta(minutes=61))["handoff"] == "queued"


def test_join_chat_and_hand_back(agents):
    case_id = request_person("dan@example.com", now=MONDAY_MORNING, channel="rest",
                             conversation_id="dan-chat", engine=agents)["case_id"]
    rasa = RecordingConversations()
    join(case_id, "alice", now=MONDAY_MORNING, conversations=rasa, engine=agents)
    assert is_live("dan-chat", engine=agents)
    with pytest.raises(CaseError, match="alice is chatting"):
        send(case_id, "bob", "hello", now=MONDAY_MORNING, conversations=rasa, engine=agents)
    with pytest.raises(CaseError, match="empty"):
        send(case_id, "alice", "  ", now=MONDAY_MORNING, conversations=rasa, engine=agents)
    send(case_id, "alice", "Let me look at that.", now=MONDAY_MORNING, conversations=rasa, engine=agents)
    hand_back(case_id, "alice", note="Explained the invoice.", now=MONDAY_MORNING, conversations=rasa,
              engine=agents)
    assert not is_live("dan-chat", engine=agents)
    assert [c[0] for c in rasa.calls] == ["pause", "tell", "tell", "resume", "tell"]
    assert rasa.notices == ["joined", None, "left"]  # the widget shows these as notices, not bubbles
    assert rasa.calls[1][2:] == ("agent:alice", "Hi, this is Alice from the support team. I've read your "
                                 "conversation so far; how can I help?")
    with unit_of_work(agents) as session:
        case = session.get(models.ReviewCase, case_id)
        assert (case.status, case.decided_by, case.decision_note) == ("closed", "alice", "Explained the invoice.")
        assert [e.action for e in case.events] == ["opened", "claimed", "joined", "message", "handed_back"]
