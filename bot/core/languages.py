"""Messages not in English: when to say so, and what to say, in their language and in English.

The assistant understands English only. A message a language detector places in another
language gets, instead of the English "I didn't understand", the way to a person: in its own
language where we can write it well, and in English always. The detector (nlu/language.py)
reads the message as written and as spelled like the training data; this module decides.
"""
from __future__ import annotations

import re

# The parse data's key for a message's language, when it is not English (nlu/language_gate.py).
LANGUAGE_KEY = "language"
# Fewer words than this tell too little: "thx", "ok", "nah" looked Dutch or Italian to the detector.
FEWEST_WORDS = 2

IN_ENGLISH = ("Sorry, I can only help in English for now. A person from our team can help you: press "
              "\u201cTalk to a person\u201d, or write \u201ctalk to a person\u201d.")

# Written for each language the detector is asked to recognise; the button keeps its English title.
IN_THEIR_LANGUAGE = {
    "es": ("Lo siento, por ahora solo puedo atenderle en inglés. Una persona de nuestro equipo puede "
           "ayudarle: pulse «Talk to a person» o escriba «talk to a person»."),
    "fr": ("Désolé, pour l'instant je ne peux répondre qu'en anglais. Une personne de notre équipe peut "
           "vous aider : appuyez sur « Talk to a person » ou écrivez « talk to a person »."),
    "de": ("Entschuldigung, ich kann im Moment nur auf Englisch helfen. Eine Person aus unserem Team kann Ihnen "
           "helfen: Tippen Sie auf \u201eTalk to a person\u201c oder schreiben Sie \u201etalk to a person\u201c."),
    "pt": ("Desculpe, por enquanto só consigo atender em inglês. Uma pessoa da nossa equipe pode ajudar: "
           "toque em \u201cTalk to a person\u201d ou escreva \u201ctalk to a person\u201d."),
    "it": ("Mi dispiace, per ora posso rispondere solo in inglese. Una persona del nostro team può aiutarla: "
           "tocchi «Talk to a person» oppure scriva «talk to a person»."),
    "nl": ("Sorry, ik kan op dit moment alleen in het Engels helpen. Iemand van ons team kan u helpen: tik op "
           "\u2018Talk to a person\u2019 of schrijf \u2018talk to a person\u2019."),
}
LANGUAGES = tuple(IN_THEIR_LANGUAGE)


# When the corrected reading names no language, the message is still foreign if at most this share
# of its words are the training data's own: "hola, quiero cancelar mi suscripcion" (the corrections
# "suscripcion" -> "subscription" left the detector undecided) has one in five ("hola"). The largest
# share at which bench/languages.py's English, misspelt or not (4,550 messages), had none called foreign.
MOST_ENGLISH_WORDS = 0.25


def other_language(as_written: str | None, as_corrected: str | None, words: int,
                   english_share: float = 1.0) -> str | None:
    """The language a message is in when it is surely not English: the detector named the same
    non-English language for it as written and with misspelt words corrected to the training
    data's (misspelt English looked foreign to it: "is toere a cotnract"), or named none once
    corrected for a message with hardly a word of the training data's English (`english_share`),
    and it has words enough."""
    if words < FEWEST_WORDS or as_written is None or as_written == "en":
        return None
    if as_written == as_corrected or (as_corrected is None and english_share <= MOST_ENGLISH_WORDS):
        return as_written
    return None


def not_in_english_reply(language: str) -> str:
    """Their language first, where we write it, then English."""
    theirs = IN_THEIR_LANGUAGE.get(language)
    return f"{theirs}\n\n{IN_ENGLISH}" if theirs else IN_ENGLISH


# Asking for a person, in each language the detector recognises: the one request the assistant
# can carry out for someone it cannot understand. Words for a person, not a verb: "con una
# persona", "mit einer Person sprechen", "falar com uma pessoa" all name one.
_PERSON_WORDS = {
    "es": r"persona|humano|agente|operador|alguien",
    "fr": r"personne|humain|conseill\w*|agent|quelqu.un",
    "de": r"person|mensch\w*|mitarbeiter\w*|jemand\w*|berater\w*",
    "pt": r"pessoa|humano|atendente|agente|algu[eé]m",
    "it": r"persona|umano|operatore|qualcuno",
    "nl": r"persoon|mens|medewerker|iemand",
}
_ASKS_FOR_A_PERSON = {language: re.compile(rf"\b({words})\b", re.IGNORECASE)
                      for language, words in _PERSON_WORDS.items()}

# Thanks and greetings need no person (and by email no answer): "Merci beaucoup. Rémy".
_THANKS = re.compile(r"\b(gracias|merci|danke|vielen dank|obrigad[oa]|grazie|dank\s*(u|je)\w*|bedankt)\b",
                     re.IGNORECASE)
_GREETING = re.compile(r"^\W*(hola|bonjour|salut|hallo|guten\s+tag|ol[aá]|oi|ciao|buongiorno|goedendag)\W*$",
                       re.IGNORECASE)
SMALL_TALK_WORDS = 4  # more words than this say more than thanks and a name


def small_talk_in(language: str, text: str) -> str | None:
    """'thank' or 'greet' for a short message in `language` that only thanks or greets, else None."""
    if len(re.findall(r"[^\W\d_]+", text)) > SMALL_TALK_WORDS:
        return None
    if _THANKS.search(text):
        return "thank"
    return "greet" if _GREETING.match(text) else None


# Said with a hand-off to a person, in their language, before the English.
HANDED_OVER = {
    "es": "Una persona de nuestro equipo le responderá aquí.",
    "fr": "Une personne de notre équipe vous répondra ici.",
    "de": "Eine Person aus unserem Team wird Ihnen hier antworten.",
    "pt": "Uma pessoa da nossa equipe vai responder aqui.",
    "it": "Una persona del nostro team le risponderà qui.",
    "nl": "Iemand van ons team antwoordt u hier.",
}


def asks_for_a_person(language: str, text: str) -> bool:
    """Whether a message in `language` asks for a person (a word for one in that language)."""
    words = _ASKS_FOR_A_PERSON.get(language)
    return bool(words and words.search(text))


def handed_over_in(language: str | None) -> str | None:
    """The line in their language that a person will answer, where we write it."""
    return HANDED_OVER.get(language) if language else None
