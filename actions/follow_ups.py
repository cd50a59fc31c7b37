"""Follow-up questions ("when?", "why?", "how much?", "what happens now?") answered from what
the conversation is about (the `topic` slot the other actions keep)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import CustomerAction
from actions.topic_questions import answer_in_context, answer_question


class ActionAnswerFollowUp(CustomerAction):
    def name(self) -> str:
        return "action_answer_follow_up"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        answered = answer_in_context(dispatcher, tracker)
        return answered if answered is not None else answer_question(dispatcher, tracker, "what_next")
