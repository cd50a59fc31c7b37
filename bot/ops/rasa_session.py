"""A conversation's new session: Rasa's own session start, run in the Rasa process, except
that an offer never crosses into a new session and a conversation a person is chatting in
stays paused. Installed by bot/ops/rasa_patches.py, with the other changes to Rasa.

- Rasa's session start clears a pause (pitfalls.md), so a session that expires in the middle
  of a long live hand-off would have the assistant answer over the agent. Whether a person is
  chatting is the app database's to say (`bot.app.handoff.is_live`), asked at every session
  start, a brand-new conversation included (an in-memory tracker lost with a restart is one).
- An offer is answered only in the turn right after the one that made it (actions/consent.py),
  and a new session has no such turn: its token, and a "shall I look again?", stay behind.

This was a custom `action_session_start` on the action server: a second action call on every
first turn (the tracker serialised, an HTTP round trip, a unit of work there) for one read.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.actions import action
from rasa.shared.core.events import ConversationPaused, Event, SlotSet
from sqlalchemy.exc import SQLAlchemyError

from bot.app import handoff

log = logging.getLogger(__name__)
NOT_CARRIED = frozenset({"session_started_metadata", "offer", "look_again"})


class SessionStart(action.ActionSessionStart):
    @staticmethod
    def _slot_set_events_from_tracker(tracker: Any) -> list[SlotSet]:
        return [SlotSet(name, slot.value) for name, slot in tracker.slots.items()
                if slot.value is not None and name not in NOT_CARRIED]

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        events = await super().run(output_channel, nlg, tracker, domain)
        if await _person_is_chatting(tracker.sender_id):
            events.append(ConversationPaused())
        return events


async def _person_is_chatting(conversation_id: str) -> bool:
    try:
        return await asyncio.to_thread(handoff.is_live, conversation_id)
    except SQLAlchemyError as exc:
        # The actions this turn runs need the same database and will say something went wrong;
        # a session start that failed here would lose the customer's message with it.
        log.error("conversation %s: could not tell whether a person is chatting: %s", conversation_id, exc)
        return False


def install() -> None:
    """Rasa looks its default actions up by this module attribute on every turn."""
    action.ActionSessionStart = SessionStart
