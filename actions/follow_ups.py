"""Follow-up questions ("when?", "why?", "how much?", "what happens now?") answered from what
the conversation is about (the `topic` slot the other actions keep)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.customer_action import CustomerAction
from actions.identity import reader_of
from bot.clock import now_utc
from bot.core.topic_answers import answer
from bot.settings import load_policy

QUESTION_BY_INTENT = {"ask_when": "when", "ask_why": "why", "ask_how_much": "how_much", "ask_what_next": "what_next"}


class ActionAnswerFollowUp(CustomerAction):
    def name(self) -> str:
        return "action_answer_follow_up"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(text=answer(QUESTION_BY_INTENT.get(intent, "what_next"), tracker.get_slot("topic"),
                                             policy=load_policy(), reader=reader_of(tracker), now=now_utc()))
        return []
