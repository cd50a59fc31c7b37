"""A conversation's new session: Rasa's own session start, run in the Rasa process, except
that an offer never crosses into a new session and a conversation a person is chatting in
stays paused. Installed by bot/ops/rasa_patches.py, with the other changes to Rasa.

- Rasa's session start clears a pause (docs/pitfalls.md), so a session that expires in the middle
  of a long live hand-off would have the assistant answer over the agent. Whether a person is
  chatting is the app database's to say (`bot.app.handoff.is_live`), asked at every session
  start, a brand-new conversation included (an in-memory tracker lost with a restart is one).
- A database that cannot say fails closed: the conversation is paused all the same, and the
  customer is told once why the assistant holds back. Rasa counts a session paused that way
  as over, so the customer's next message starts another one, whose start asks again: the
  assistant is back as soon as the database answers, not an hour later when the session
  would have expired.
- An offer is answered only in the turn right after the one that made it (actions/offer_turns.py),
  and a new session has no such turn: its token, and a "shall I look again?", stay behind.

This was a custom `action_session_start` on the action server: a second action call on every
first turn (the tracker serialised, an HTTP round trip, a unit of work there) for one read.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core import processor
from rasa.core.actions import action
from rasa.shared.core.events import BotUttered, ConversationPaused, Event, SlotSet
from sqlalchemy.exc import SQLAlchemyError

from bot.app import handoff
from bot.core import messages

log = logging.getLogger(__name__)
NOT_CARRIED = frozenset({"session_started_metadata", "offer", "look_again"})
UNCHECKED = "person_chatting_unknown"  # on a ConversationPaused: paused because the database could not say


class SessionStart(action.ActionSessionStart):
    @staticmethod
    def _slot_set_events_from_tracker(tracker: Any) -> list[SlotSet]:
        return [SlotSet(name, slot.value) for name, slot in tracker.slots.items()
                if slot.value is not None and name not in NOT_CARRIED]

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        events = await super().run(output_channel, nlg, tracker, domain)
        chatting = await _person_is_chatting(tracker.sender_id)
        if chatting is None:
            if not paused_unchecked(tracker):  # told already: a customer writing again hears it once
                events.append(BotUttered(messages.HOLDING_BACK))
            events.append(ConversationPaused(metadata={UNCHECKED: True}))
        elif chatting:
            events.append(ConversationPaused())
        return events


async def _person_is_chatting(conversation_id: str) -> bool | None:
    """Whether a person is chatting in the conversation; None when the database cannot say."""
    try:
        return await asyncio.to_thread(handoff.is_live, conversation_id)
    except SQLAlchemyError as exc:  # not raised on: a session start that fails loses the customer's message
        log.error("conversation %s: could not tell whether a person is chatting, so the assistant holds back: %s",
                  conversation_id, exc)
        return None


def paused_unchecked(tracker: Any) -> bool:
    """Paused only because the database could not say whether a person is chatting."""
    if not tracker.is_paused():
        return False
    pause = tracker.get_last_event_for(ConversationPaused)
    return pause is not None and bool((pause.metadata or {}).get(UNCHECKED))


def _over_when_paused_unchecked(has_session_expired):
    """`MessageProcessor._has_session_expired`, also true of a session paused unchecked."""

    def has_session_expired_or_paused_unchecked(self, tracker) -> bool:
        return has_session_expired(self, tracker) or paused_unchecked(tracker)

    has_session_expired_or_paused_unchecked.asks_again = True
    return has_session_expired_or_paused_unchecked


def install() -> None:
    """Rasa looks its default actions up by this module attribute on every turn, and asks its
    processor's `_has_session_expired` before every message."""
    action.ActionSessionStart = SessionStart
    found = processor.MessageProcessor._has_session_expired
    if not getattr(found, "asks_again", False):
        processor.MessageProcessor._has_session_expired = _over_when_paused_unchecked(found)
