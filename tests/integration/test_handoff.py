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
    assert ask("sunday", SUNDAY).handoff == "after_hours"
    assert ask("sunday", SUNDAY).next_opening == "2026-11-23T09:00:00+00:00"
    assert ask("monday-nobody", MONDAY_MORNING).handoff == "queued"
    set_available("alice", minutes=60, now=MONDAY_MORNING, engine=agents)
    assert ask("monday-alice", MONDAY_MORNING).handoff == "live"
    assert ask("monday-later", MONDAY_MORNING + timedelta(minutes=61)).handoff == "queued"


def test_join_chat_and_hand_back(agents):
    case_id = request_person("dan@example.com", now=MONDAY_MORNING, channel="rest",
                             conversation_id="dan-chat", engine=agents).case_id
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


@pytest.mark.parametrize("verdict", ["close", "approve"])
def test_deciding_a_case_while_live_hands_the_customer_back_to_the_assistant(live_engine, gateway, verdict):
    """Closing (or deciding) a case mid-chat used to leave the customer talking to nobody."""
    from bot.app.case_decisions import decide_case
    from bot.app.refunds import assess_refund
    agents = live_engine
    create_agent("alice", "a long enough password", "Alice", engine=agents)
    conversation = f"ben-live-{verdict}"
    if verdict == "approve":  # a refund case (R2), which the customer then asks a person about
        case_id = assess_refund("ben@example.com", "late_cancellation", now=MONDAY_MORNING, channel="rest",
                                conversation_id=conversation, engine=agents).case_id
    else:
        case_id = request_person("ben@example.com", now=MONDAY_MORNING, channel="rest",
                                 conversation_id=conversation, engine=agents).case_id
    rasa = RecordingConversations()
    join(case_id, "alice", now=MONDAY_MORNING, conversations=rasa, engine=agents)
    decide_case(case_id, "alice", verdict, note="Sorted in the chat.", now=MONDAY_MORNING, engine=agents,
                notifier=rasa, gateway=gateway)
    assert not is_live(conversation, engine=agents)
    assert rasa.calls[-2:] == [("resume", conversation),
                               ("tell", conversation, "assistant", "You're back with the assistant. Ask me "
                                                                    "anything else, any time.")]


def test_one_case_per_conversation_whatever_the_customer_asks_next(agents):
    """A request for a person after a refund case joins it: one number for the customer."""
    from bot.app.refunds import assess_refund
    refund = assess_refund("ben@example.com", "late_cancellation", now=MONDAY_MORNING, channel="rest",
                           conversation_id="ben-one", note="I cancelled late", engine=agents)
    person = request_person("ben@example.com", now=MONDAY_MORNING, channel="rest", conversation_id="ben-one",
                            note="can a human look at this", engine=agents)
    assert refund.case_created and not person.case_created and person.case_id == refund.case_id
    with unit_of_work(agents) as session:
        [case] = session.query(models.ReviewCase).all()
        assert case.kind == "refund" and case.customer_note == "I cancelled late\ncan a human look at this"
        assert [e.action for e in case.events] == ["opened", "joined"]


def test_a_proposal_made_after_a_request_for_a_person_is_attached_to_that_case(agents):
    from bot.app.refunds import assess_refund
    person = request_person("ben@example.com", now=MONDAY_MORNING, channel="rest", conversation_id="ben-two",
                            engine=agents)
    refund = assess_refund("ben@example.com", "late_cancellation", now=MONDAY_MORNING, channel="rest",
                           conversation_id="ben-two", engine=agents)
    assert refund.case_id == person.case_id and not refund.case_created
    with unit_of_work(agents) as session:
        case = session.get(models.ReviewCase, person.case_id)
        assert (case.kind, case.rule, case.proposed_amount) == ("refund", "R2", refund.refund)
