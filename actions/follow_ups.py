"""Follow-up questions ("when?", "why?", "how much?", "what happens now?") answered from what
the conversation is about (the `topic` slot the other actions keep)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import reader_of
from actions.policy_answers import HUMAN_BUTTON
from actions.unmatched import ReadsUnmatched, knowledge_answer
from bot.clock import now_utc
from bot.core.topic_answers import answer
from bot.settings import load_policy

QUESTION_BY_INTENT = {"ask_when": "when", "ask_why": "why", "ask_how_much": "how_much", "ask_what_next": "what_next"}


class ActionAnswerFollowUp(ReadsUnmatched):
    def name(self) -> str:
        return "action_answer_follow_up"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = tracker.get_slot("topic") or {}
        if topic.get("kind") == "knowledge":
            # After an answer from the texts, "what happens if I do it anyway?" is asked of them with
            # the question it follows; what they don't answer goes on as any follow-up without a topic.
            answered = knowledge_answer(tracker.latest_message.get("text") or "", follows=topic.get("asked") or "")
            if answered:
                dispatcher.utter_message(text=answered, buttons=HUMAN_BUTTON)
                return []
        dispatcher.utter_message(text=answer(QUESTION_BY_INTENT.get(intent, "what_next"), tracker.get_slot("topic"),
                                             policy=load_policy(), reader=reader_of(tracker), now=now_utc()))
        return []
