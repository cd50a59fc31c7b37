"""Messages the intents do not cover (the NLU fallback, or "out of scope"): a message in another
language gets the way to a person in its language and in English; a question the company's own
texts answer gets their answer (config/knowledge.yml), which moves nothing and offers nothing."""
from __future__ import annotations

import asyncio
import logging
from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.customer_action import CustomerAction
from bot.core.knowledge import KnowledgeError, answer_text
from bot.core.languages import not_in_english_reply
from nlu.knowledge import shared_index
from nlu.language import shared_detector
from nlu.sentence_encoder import EncoderUnavailable

log = logging.getLogger(__name__)


def unmatched_reply(text: str) -> str | None:
    """What to say to a message no intent fits, when its language or the knowledge base says
    more than "I can't help with that"; None when neither does."""
    language = shared_detector().other_language(text)
    if language:
        return not_in_english_reply(language)
    try:
        answer = shared_index().answer(text)
    except (KnowledgeError, EncoderUnavailable) as error:
        # A broken knowledge base must not take the fallback with it: the customer still gets a way on.
        log.error("answering without the knowledge base: %s", error)
        return None
    return answer_text(answer) if answer else None


class ReadsUnmatched(CustomerAction, ABC):
    """An action that may read a message with the encoder and the language models."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # Embedding a message takes milliseconds, and the first one loads the encoder and the
        # language models (seconds): in a worker thread, not on the loop every conversation shares.
        return await asyncio.to_thread(super().run, dispatcher, tracker, domain)
