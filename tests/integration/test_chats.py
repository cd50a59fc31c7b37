"""The web chat's records and the console's teamwork on a real database: presence and
follow-up mail, what can be rated and only once, copies only to a proven address, who is
typing, assignment, notes, search and canned replies."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import canned_replies
from bot.app.agents import create_agent
from bot.app.case_decisions import CaseError, add_note, assign, queue, unassign
from bot.app.chats import ChatError, Chats
from bot.app.handoff import hand_back, join, request_person, send, typing
from bot.app.identity import issue_customer_token
from bot.core.statuses import DECIDABLE, DECIDED
from bot.core.timeutil import parse_utc
from bot.db import activity, models
from bot.db.session import unit_of_work
from bot.notify.missed_replies import follow_up_if_away

MONDAY = parse_utc("2026-11-23T10:00:00Z")
SECOND = timedelta(seconds=1)


class Rasa:
    def __init__(self):
        self.told = []

    def pause(self, conversation_id):
        pass

    def resume(self, conversation_id):
        pass

    def tell(self, *, channel, conversation_id, text, sender="support_agent", notice=None):
        self.told.append((sender, text, notice))


@pytest.fixture
def team(seeded_engine):
    for name in ("alice", "bob"):
        create_agent(name, "a long enough password", f"{name.title()} Smith", engine=seeded_engine)
    return seeded_engine


def live_case(engine, email="dan@example.com", conversation="chat-1"):
    number = request_person(email, now=MONDAY, channel="rest", conversation_id=conversation, engine=engine).case_id
    join(number, "alice", now=MONDAY, conversations=Rasa(), engine=engine)
    return number


def test_presence_decides_whether_a_persons_answer_is_mailed_once(team, monkeypatch):
    sent = []
    monkeypatch.setattr("bot.notify.missed_replies.send_mail",
                        lambda to, subject, body, sender: sent.append((to, subject)))
    chats = Chats(team)
    chats.widget_seen("chat-1", now=MONDAY, token=issue_customer_token("dan@example.com"))
    away = dict(channel="rest", sender="agent:alice", text="Done.", brand="GroupTrack CRM",
                email_from="support@grouptrack.example", engine=team)
    assert follow_up_if_away("chat-1", now=MONDAY + 10 * SECOND, **away) is None  # the widget is open
    chats.widget_left("chat-1", now=MONDAY + 20 * SECOND)
    assert follow_up_if_away("chat-1", now=MONDAY + 30 * SECOND, **away) == "dan@example.com"
    assert follow_up_if_away("chat-1", now=MONDAY + 40 * SECOND, **away) is None  # one mail, not one per message
    assert sent == [("dan@example.com", "Alice Smith replied to you in the GroupTrack CRM chat")]
    chats.widget_seen("chat-2", now=MONDAY)  # a widget that stopped saying so has gone too
    with unit_of_work(team) as session:
        row = activity.find(session, "chat-2")
        assert activity.customer_present(row, MONDAY + 40 * SECOND)
        assert not activity.customer_present(row, MONDAY + 50 * SECOND)
    assert follow_up_if_away("chat-2", now=MONDAY + timedelta(hours=1), **away) is None  # no address proven
    assert follow_up_if_away("chat-1", now=MONDAY + timedelta(hours=1), **{**away, "sender": "assistant"}) is None
    assert follow_up_if_away("chat-1", now=MONDAY + timedelta(hours=1), **{**away, "channel": "email"}) is None


def test_a_live_chat_shows_the_person_typing_and_is_rated_once_after_the_hand_back(team):
    chats = Chats(team)
    number = live_case(team)
    assert chats.chat_state("chat-1", now=MONDAY)["person"] == "Alice Smith"
    typing(number, "alice", now=MONDAY, engine=team)
    assert chats.chat_state("chat-1", now=MONDAY + 5 * SECOND)["typing"]
    assert not chats.chat_state("chat-1", now=MONDAY + 7 * SECOND)["typing"]  # a pause ends it
    with pytest.raises(CaseError):
        typing(number, "bob", now=MONDAY, engine=team)  # only the one chatting
    before = chats.chat_state("chat-1", now=MONDAY)
    assert before["rating"] is None  # nothing resolved while the chat goes on
    hand_back(number, "alice", note="Sorted.", now=MONDAY, conversations=Rasa(), engine=team)
    after = chats.chat_state("chat-1", now=MONDAY)
    assert after["person"] is None and after["rating"]["subject"] == f"case:{number}"
    assert after["version"] != before["version"]
    with pytest.raises(ChatError, match="1 to 5"):
        chats.rate("chat-1", f"case:{number}", 6, "", now=MONDAY)
    with pytest.raises(ChatError, match="nothing to rate"):
        chats.rate("chat-1", "case:999", 5, "", now=MONDAY)
    chats.rate("chat-1", f"case:{number}", 4, "  Helpful  ", now=MONDAY)
    with pytest.raises(ChatError):
        chats.rate("chat-1", f"case:{number}", 5, "", now=MONDAY)  # once
    assert chats.chat_state("chat-1", now=MONDAY)["rating"] is None
    with unit_of_work(team) as session:
        stored = session.execute(select(models.Rating)).scalar_one()
        assert (stored.score, stored.comment, stored.case_id) == (4, "Helpful", number)


def test_a_copy_goes_only_to_the_address_proven_in_the_conversation(team, wire):
    sent = []
    wire(send_mail=lambda to, subject, body, sender: sent.append((to, body)))
    chats = Chats(team)
    lines = [{"who": "customer", "text": "hello", "at": 1795000000.0, "agent": None},
             {"who": "agent", "text": "Hi,\nAlice here", "at": 1795000060.0, "agent": "alice"}]
    with pytest.raises(ChatError, match="signed in"):
        chats.send_copy("anonymous-chat", chats.named(lines), brand="GroupTrack CRM", email_from="s@example.com")
    chats.widget_seen("signed-in", now=MONDAY, token=issue_customer_token("ben@example.com"))
    chats.widget_seen("forged", now=MONDAY, token="not-a-token")
    assert chats.send_copy("signed-in", chats.named(lines), brand="GroupTrack CRM",
                           email_from="s@example.com") == "A copy of this conversation is on its way to b…@example.com."
    assert sent[0][0] == "ben@example.com" and "Alice Smith (" in sent[0][1] and "Hi,\nAlice here" in sent[0][1]
    with pytest.raises(ChatError):
        chats.send_copy("forged", lines, brand="GroupTrack CRM", email_from="s@example.com")
    live_case(team, email="carla@example.com", conversation="case-chat")  # a case's customer counts too
    chats.send_copy("case-chat", lines, brand="GroupTrack CRM", email_from="s@example.com")
    assert sent[-1][0] == "carla@example.com"


def test_assign_unassign_and_notes(team):
    number = request_person("dan@example.com", now=MONDAY, channel="rest", conversation_id="c", engine=team).case_id
    with pytest.raises(CaseError, match="no agent"):
        assign(number, "alice", "nobody", now=MONDAY, engine=team)
    assign(number, "alice", "bob", now=MONDAY, engine=team)
    unassign(number, "alice", now=MONDAY, engine=team)
    add_note(number, "bob", "Called them.\nNo answer.", now=MONDAY, engine=team)
    with pytest.raises(CaseError, match="empty"):
        add_note(number, "bob", "   ", now=MONDAY, engine=team)
    with unit_of_work(team) as session:
        case = session.get(models.ReviewCase, number)
        assert (case.status, case.claimed_by) == ("open", None)
        assert [(e.action, e.detail) for e in case.events][1:] == [
            ("assigned", {"to": "bob"}), ("unassigned", {"from": "bob"}),
            ("note", {"note": "Called them.\nNo answer.", "internal": True})]
    live = live_case(team, email="eve@example.com", conversation="live")
    with pytest.raises(CaseError, match="hand back first"):
        assign(live, "bob", "bob", now=MONDAY, engine=team)
    with pytest.raises(CaseError, match="hand back first"):
        unassign(live, "bob", now=MONDAY, engine=team)


def test_search_finds_a_case_by_number_address_name_or_words(team):
    first = request_person("dan@example.com", now=MONDAY, channel="rest", conversation_id="a", note="my invoice",
                           engine=team).case_id
    second = request_person("eve@example.com", now=MONDAY, channel="rest", conversation_id="b", engine=team).case_id
    join(second, "alice", now=MONDAY, conversations=Rasa(), engine=team)
    send(second, "alice", "Your Zebra plan is fine", now=MONDAY, conversations=Rasa(), engine=team)
    with unit_of_work(team) as session:
        found = lambda words: [c.id for c in queue(session, status=DECIDABLE + DECIDED, search=words)]  # noqa: E731
        assert found(f"#{second}") == [second] and found(str(first)) == [first]
        assert found("DAN@example") == [first] and found("Invoice") == [first] and found("zebra") == [second]
        assert found("nothing like it") == []


def test_canned_replies_fill_in_the_case_and_refuse_unknown_variables(team):
    with pytest.raises(canned_replies.CannedReplyError, match="unknown variable"):
        canned_replies.add("Hello", "Hi {nickname}", agent="alice", now=MONDAY, engine=team)
    canned_replies.add("Hello", "Hi {first_name}, {agent} here about {case_number}.", agent="alice", now=MONDAY,
                       engine=team)
    with pytest.raises(canned_replies.CannedReplyError, match="already"):
        canned_replies.add("Hello", "again", agent="bob", now=MONDAY, engine=team)
    [reply] = canned_replies.all_replies(engine=team)
    values = canned_replies.values_for(case_id=7, customer_name="Dan Brown", email="dan@example.com",
                                       agent="Alice Smith", brand="GroupTrack CRM")
    assert canned_replies.expand(reply["body"], values) == "Hi Dan, Alice Smith here about #7."
    anonymous = canned_replies.values_for(case_id=7, customer_name=None, email=None, agent="Alice", brand="B")
    assert canned_replies.expand(reply["body"], anonymous) == "Hi {first_name}, Alice here about #7."
    canned_replies.delete(reply["id"], engine=team)
    assert canned_replies.all_replies(engine=team) == []


def test_the_queue_tells_the_help_widget_from_other_rest_callers(team):
    for conversation in ("from-widget", "from-api"):
        request_person(None, now=MONDAY, channel="rest", conversation_id=conversation, engine=team)
    Chats(team).widget_seen("from-widget", now=MONDAY)
    with unit_of_work(team) as session:
        channel = lambda name: [c.conversation_id for c in queue(session, channel=name)]  # noqa: E731
        assert channel("widget") == ["from-widget"] and channel("rest") == ["from-api"] and channel("email") == []
