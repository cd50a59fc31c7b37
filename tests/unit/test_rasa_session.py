"""bot/ops/rasa_session.py: the session start Rasa runs in its own process keeps a live hand-off
paused and leaves offers behind, and is the one Rasa's processor finds; when the database
cannot say whether a person is chatting, the assistant holds back until it can."""
import asyncio

import pytest
from rasa.core.actions.action import action_for_name_or_text
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

import bot.app.handoff
from bot.core import messages
from bot.ops import rasa_session
from bot.ops.rasa_patches import install_in_rasa
from bot.settings import ROOT
from tests.support.rasa_model import loaded_agent, send, tracker_of


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def expired_session(domain: Domain, *, paused: bool) -> DialogueStateTracker:
    """A conversation whose last turn made an offer, mid hand-off or not."""
    events = [ActionExecuted("action_listen"), UserUttered("I cancelled a day late", {"name": "late_cancellation"}),
              SlotSet("pending_plan", "pro-yearly"), SlotSet("offer", "offer-token"),
              SlotSet("look_again", "late_cancellation"), ActionExecuted("action_assess_refund"),
              ActionExecuted("action_listen")]
    if paused:
        events.append(ConversationPaused())
    return DialogueStateTracker.from_events("dan-chat", events, domain.slots)


def start_new_session(domain: Domain, tracker: DialogueStateTracker) -> DialogueStateTracker:
    install_in_rasa()
    action = action_for_name_or_text("action_session_start", domain, None)  # as Rasa's processor finds it
    assert isinstance(action, rasa_session.SessionStart)
    for event in asyncio.run(action.run(None, None, tracker.copy(), domain)):
        tracker.update(event, domain)
    return tracker


@pytest.mark.parametrize("live", [True, False])
def test_a_new_session_stays_paused_while_a_person_is_chatting(monkeypatch, domain, live):
    asked = []
    monkeypatch.setattr(bot.app.handoff, "is_live", lambda conversation_id, **kw: asked.append(conversation_id) or live)
    tracker = start_new_session(domain, expired_session(domain, paused=True))
    assert asked == ["dan-chat"]
    assert tracker.is_paused() == live  # Rasa's own session start would always have cleared it


def test_a_new_session_carries_the_customers_details_but_no_offer(monkeypatch, domain):
    monkeypatch.setattr(bot.app.handoff, "is_live", lambda conversation_id, **kw: False)
    tracker = start_new_session(domain, expired_session(domain, paused=False))
    assert tracker.get_slot("pending_plan") == "pro-yearly"
    assert tracker.get_slot("offer") is None and tracker.get_slot("look_again") is None
    assert tracker.latest_action_name == "action_listen"


def unreachable(conversation_id, **kw):
    raise OperationalError("SELECT", {}, Exception("connection refused"))


def test_a_database_that_cannot_answer_pauses_and_says_why_once_and_loses_nothing(monkeypatch, domain, caplog):
    monkeypatch.setattr(bot.app.handoff, "is_live", unreachable)
    tracker = start_new_session(domain, expired_session(domain, paused=True))
    assert tracker.is_paused() and rasa_session.paused_unchecked(tracker)
    assert tracker.get_slot("pending_plan") == "pro-yearly"
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)] == [messages.HOLDING_BACK]
    assert "could not tell whether a person is chatting" in caplog.text
    again = start_new_session(domain, tracker)  # the customer writes again, the database still down
    assert again.is_paused() and [e.text for e in again.events if isinstance(e, BotUttered)] == [messages.HOLDING_BACK]


# --- through Rasa's own processor and the trained model -------------------------------------

def test_the_next_message_asks_again_and_the_assistant_is_back_once_the_database_answers(monkeypatch):
    agent = loaded_agent()
    monkeypatch.setattr(bot.app.handoff, "is_live", unreachable)
    assert send(agent, "db-blip", "hello") == [messages.HOLDING_BACK]
    monkeypatch.setattr(bot.app.handoff, "is_live", lambda conversation_id, **kw: False)
    send(agent, "db-blip", "how long is the free trial?")  # no action server here: no reply text
    tracker = tracker_of(agent, "db-blip")
    assert not tracker.is_paused()
    assert tracker.latest_action_name == "action_listen" and "action_answer_trial" in [
        e.action_name for e in tracker.events if isinstance(e, ActionExecuted)]


def test_the_next_message_finds_a_person_chatting_and_stays_quiet(monkeypatch):
    agent = loaded_agent()
    monkeypatch.setattr(bot.app.handoff, "is_live", unreachable)
    send(agent, "db-blip-live", "hello")
    monkeypatch.setattr(bot.app.handoff, "is_live", lambda conversation_id, **kw: True)
    assert send(agent, "db-blip-live", "are you there?") == []
    tracker = tracker_of(agent, "db-blip-live")
    assert tracker.is_paused() and not rasa_session.paused_unchecked(tracker)
    assert send(agent, "db-blip-live", "hello?") == [] and tracker_of(agent, "db-blip-live").is_paused()
