"""Thanks that also take leave get a goodbye, not "anything else I can help with?"."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.thanks import ActionWelcome
from bot.core.farewell import accepts_grudgingly, takes_leave


@pytest.mark.parametrize("text, leaving", [
    ("thanks bye", True),          # finn on make run, 2026-12-07: "anything else I can help with?"
    ("thank you, goodbye!", True),
    ("cheers, see you", True),
    ("thanks, that's all", True),
    ("thanks", False),
    ("thanks, I'll try that later", False),
    ("thank you so much", False),
])
def test_leave_taking_is_told_from_plain_thanks(text, leaving):
    assert takes_leave(text) is leaving


def test_thanks_with_a_goodbye_say_goodbye():
    def said(text):
        message = {"text": text, "intent": {"name": "thank"}}
        tracker = Tracker("chat", {}, message, [], False, None, {}, "")
        dispatcher = CollectingDispatcher()
        ActionWelcome().run(dispatcher, tracker, {})
        return dispatcher.messages[0]["response"]
    assert said("thanks bye") == "utter_welcome_goodbye"
    assert said("thanks!") == "utter_welcome"
    # make run, 2026-12-07: "ok fair enough" after an answer got "You're welcome!"
    assert said("ok fair enough") == "utter_noted"
    assert said("good to know, bye") == "utter_goodbye"
    assert said("cheers, that helps") == "utter_welcome"


@pytest.mark.parametrize("text, accepting", [
    ("that seems harsh but ok", True),   # after a terms answer: quoted the terms' spam clause by chance
    ("annoying, but fine i guess", True),
    ("hmm ok i guess", True),
    ("well alright then", True),
    ("ok", False),                       # a plain ok is the model's affirm
    ("but ok what happens to my data", False),
    ("fine, cancel it", False),
])
def test_a_grumbling_acceptance_is_told_from_a_question_or_a_request(text, accepting):
    assert accepts_grudgingly(text) is accepting

