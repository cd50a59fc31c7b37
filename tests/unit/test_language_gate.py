"""The NLU pipeline's last word on a message not in English (issue 28, class 11): whatever the
intent model made of it, it is a request for a person when it names one in its language, and
otherwise not understood; English, however short or misspelt, is left as the model read it."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.core.languages import HANDED_OVER, LANGUAGES, asks_for_a_person, handed_over_in
from nlu.language_gate import LanguageGate


def read(text: str, intent: str = "cancel_subscription", confidence: float = 0.93) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    return LanguageGate().process([message])[0]


@pytest.mark.parametrize("text, language", [
    ("hola, quiero cancelar mi suscripción, ¿cómo lo hago?", "es"),
    ("oi, como faço para mudar meu plano?", "pt"),
    ("Hallo, ich wurde zweimal belastet, können Sie mir helfen?", "de"),
])
def test_a_request_the_model_read_into_another_language_is_not_understood(text, language):
    message = read(text)
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert message.get("language") == language
    assert "language" in message.as_dict(only_output_properties=True)  # it reaches the parse data


@pytest.mark.parametrize("text", ["Ja bitte, mit einer Person sprechen", "obrigado, quero falar com uma pessoa",
                                  "je voudrais parler à un conseiller", "quiero hablar con una persona"])
def test_naming_a_person_in_its_language_asks_for_one(text):
    assert read(text).get("intent")["name"] == "request_human"


@pytest.mark.parametrize("text", ["cancel my subscription please", "cancel subsxribtion", "thx", "ok"])
def test_english_keeps_the_model_s_reading(text):
    message = read(text)
    assert message.get("intent") == {"name": "cancel_subscription", "confidence": 0.93}
    assert message.get("language") is None


def test_person_words_are_told_apart_by_language_and_every_language_has_a_hand_off_line():
    assert asks_for_a_person("pt", "quero falar com uma pessoa") and not asks_for_a_person("pt", "mudar meu plano")
    assert not asks_for_a_person("pl", "z osobą")  # a language we have no words for asks for nothing
    assert set(HANDED_OVER) == set(LANGUAGES)
    assert handed_over_in("fr") == HANDED_OVER["fr"] and handed_over_in(None) is None and handed_over_in("pl") is None


@pytest.mark.parametrize("text", ["Merci beaucoup. Rémy", "Muchas gracias. Lucía", "Danke schön, Greta",
                                  "Grazie mille, Marco", "Obrigado pela ajuda. Ana"])
def test_thanks_in_another_language_are_thanks_and_need_no_person(text):
    assert read(text).get("intent")["name"] == "thank"


def test_thanks_with_more_to_say_is_more_than_thanks():
    assert read("Gracias, pero todavía no puedo entrar en mi cuenta").get("intent")["name"] == "nlu_fallback"
