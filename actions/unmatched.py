"""Messages the intents do not cover (the NLU fallback, or "out of scope"): a message in another
language gets the way to a person in its language and in English; a question the company's own
texts answer gets their answer (config/knowledge.yml), which moves nothing and offers nothing."""
from __future__ import annotations

import asyncio
import logging
from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.customer_action import CustomerAction
from actions.offer_turns import person_offered
from bot.core.knowledge import KnowledgeError, answer_text, not_in_texts_reply
from bot.core.languages import LANGUAGE_KEY, not_in_english_reply
from bot.core.proving import address_alone_reply, typed_address_reply
from bot.settings import load_knowledge
from nlu.knowledge import shared_index
from nlu.sentence_encoder import EncoderUnavailable

log = logging.getLogger(__name__)


def language_of(tracker: Tracker) -> str | None:
    """The language of the message being answered when it is not English, as the NLU pipeline
    found it (nlu/language_gate.py), or as the channel that handed it to a person did."""
    language = tracker.latest_message.get(LANGUAGE_KEY)
    return language if isinstance(language, str) else None


def knowledge_answer(question: str, follows: str | None = None) -> str | None:
    """The company's texts' answer to `question` (asked right after `follows` was answered from
    them, if it was), or None (also when the knowledge base is broken)."""
    try:
        index = shared_index()
        answer = index.answer_follow_up(follows, question) if follows else index.answer(question)
    except (KnowledgeError, EncoderUnavailable) as error:
        # A broken knowledge base must not take the fallback with it: the customer still gets a way on.
        log.error("answering without the knowledge base: %s", error)
        return None
    return answer_text(answer) if answer else None


def not_in_texts(question: str) -> bool:
    """Whether `question` is one the support team knows the texts do not answer (False also when the
    knowledge base is broken: then it is only not understood)."""
    try:
        return shared_index().not_in_texts(question) is not None
    except (KnowledgeError, EncoderUnavailable) as error:
        log.error("answering without the knowledge base: %s", error)
        return False


def unmatched_reply(text: str, topic: dict | None = None, language: str | None = None, *,
                    by_email: bool = False) -> tuple[str, list] | None:
    """What to say to a message no intent fits, when the conversation, its language or the knowledge
    base says more than "I can't help with that", and the events that go with it; None when none does.
    An answer from the texts becomes the topic, so that "and what if I do it anyway?" is asked of them
    together with the question it follows. A question the texts are known not to answer is said to be
    a person's (by email None: the mail channel hands it to one)."""
    if (topic or {}).get("kind") == "sign_in":
        typed = typed_address_reply(text, topic.get("how", ""))
        if typed:
            return typed, []
    if language:
        return not_in_english_reply(language), []
    alone = address_alone_reply(text)
    if alone:
        return alone, []
    answer = knowledge_answer(text)
    if answer:
        return answer, [SlotSet("topic", {"kind": "knowledge", "asked": text})]
    if not by_email and not_in_texts(text):
        return not_in_texts_reply(load_knowledge()), [SlotSet("topic", None), *person_offered()]
    return None


class ReadsUnmatched(CustomerAction, ABC):
    """An action that may read a message with the encoder and the language models."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # Embedding a message takes milliseconds, and the first one loads the encoder and the
        # language models (seconds): in a worker thread, not on the loop every conversation shares.
        return await asyncio.to_thread(super().run, dispatcher, tracker, domain)
