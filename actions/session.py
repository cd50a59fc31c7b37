"""Session start: as Rasa's default, but a conversation a person is chatting in stays
paused (Rasa's new session would otherwise clear the pause and the bot would answer
in the middle of the handoff)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.app import handoff


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # An offer is never carried into a new session: only the turn that made it can be answered.
        carried = [SlotSet(name, value) for name, value in tracker.slots.items()
                   if value is not None and name not in ("session_started_metadata", "offer", "look_again")]
        events = [SessionStarted(), *carried, ActionExecuted("action_listen")]
        if handoff.is_live(tracker.sender_id):
            events.append(ConversationPaused())
        return events
