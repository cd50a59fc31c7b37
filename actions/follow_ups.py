"""Follow-up questions ("when?", "why?", "how much?", "what happens now?") answered from what
the conversation is about (the `topic` slot the other actions keep)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import verified_email
from actions.own_facts import answer_incident, answer_refund_status
from actions.policy_answers import HUMAN_BUTTON
from actions.topic_questions import answer_in_context, answer_question, question_in_context
from actions.unmatched import ReadsUnmatched, knowledge_answer
from actions.what_if import answer_what_if
from bot.core import supposing
from bot.core.facts import asks_if_known
from bot.core.refund_status import asks_refund_status


class ActionAnswerFollowUp(ReadsUnmatched):
    def name(self) -> str:
        return "action_answer_follow_up"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        topic = tracker.get_slot("topic") or {}
        if topic.get("kind") == "knowledge":
            # After an answer from the texts, "what happens if I do it anyway?" is asked of them with
            # the question it follows; what they don't answer goes on as any follow-up about the topic.
            answered = knowledge_answer(tracker.latest_message.get("text") or "", follows=topic.get("asked") or "")
            if answered:
                dispatcher.utter_message(text=answered, buttons=HUMAN_BUTTON)
                return []
        text = tracker.latest_message.get("text")
        email = verified_email(tracker)
        if asks_if_known(text) and email:  # "is it just me?": where known problems stand, not why
            return answer_incident(dispatcher, tracker, email)
        if asks_refund_status(text) and email and topic.get("kind") != "decision":
            # "when will I get my refund" with no refund decided here: the one made before, on the account
            return answer_refund_status(dispatcher, tracker, email)
        if supposing.about_data(text) and question_in_context(tracker) == "what_next":
            # "hmm what happens to my contacts then", an offer waiting: what it would do to their data
            return answer_what_if(dispatcher, tracker)
        if not topic and supposing.about_a_plan(text):
            # "how much would it be to go yearly", nothing said before: a plan's what-if, not "about what?"
            return answer_what_if(dispatcher, tracker)
        answered = answer_in_context(dispatcher, tracker)
        return answered if answered is not None else answer_question(dispatcher, tracker, "what_next")
