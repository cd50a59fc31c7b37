"""bot/ops/rasa_session.py: the session start Rasa runs in its own process keeps a live hand-off
paused and leaves offers behind, and is the one Rasa's processor finds."""
import asyncio

import pytest
from rasa.core.actions.action import action_for_name_or_text
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

import bot.app.handoff
from bot.ops import rasa_session
from bot.ops.rasa_patches import install_in_rasa
from bot.settings import ROOT


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


def test_a_database_that_cannot_answer_loses_no_message(monkeypatch, domain, caplog):
    def unreachable(conversation_id, **kw):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(bot.app.handoff, "is_live", unreachable)
    tracker = start_new_session(domain, expired_session(domain, paused=True))
    assert not tracker.is_paused() and tracker.get_slot("pending_plan") == "pro-yearly"
    assert "could not tell whether a person is chatting" in caplog.text
