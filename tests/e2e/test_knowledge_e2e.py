"""Through Rasa and the action server as `make run` starts them: a question no intent covers is
answered from the terms, and a message in another language gets the way to a person in it."""
from __future__ import annotations

import pytest

from bot.core.languages import IN_ENGLISH, IN_THEIR_LANGUAGE
from tests.support.e2e_stack import say

pytestmark = pytest.mark.e2e


def test_a_question_the_terms_answer_is_answered_from_them(live):
    replies = say(live, "widget-knowledge-login", "can I share my login with my colleague?", None)
    assert len(replies) == 1
    assert replies[0]["text"].startswith("From our terms, section 7 (Acceptable Use Policy): ")
    assert "share your account credentials with others" in replies[0]["text"]
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/request_human"]


def test_a_message_in_german_gets_a_person_in_german_and_in_english(live):
    replies = say(live, "widget-knowledge-german", "ich möchte mein Abo kündigen", None)
    assert [r["text"] for r in replies] == [f"{IN_THEIR_LANGUAGE['de']}\n\n{IN_ENGLISH}"]
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/request_human"]


def test_a_question_the_texts_do_not_answer_still_gets_what_the_assistant_can_do(live):
    replies = say(live, "widget-knowledge-none", "is there a dark mode", None)
    assert "didn't understand" in replies[0]["text"] and not replies[0]["text"].startswith("From our")
