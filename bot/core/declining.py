"""Whether a customer's message declines the offer waiting for their answer.

`sounds_like_no` (bot/core/decline_words.py) reads words that hold back ("wait", "keep my...", "not
sure") as a no, which is right for an answer and wrong for a question: "wait, why isn't it the
full amount?" or "do I keep my contacts?" asks about the offer, it does not turn it down. A
question is answered and the offer asked again (actions/waiting_offer.py); only a message that starts
with a plain no ("no, why would I?", "nah what for") declines while asking. Pure.
"""
from __future__ import annotations

import re

from bot.core.asking import asks
from bot.core.decline_words import sounds_like_no

# "no, why would I?" declines; "no refund at all?" asks about one.
_PLAIN_NO_FIRST = re.compile(r"^\W*((no|nope|nah)\s*([,.!;:-]|$)|no\s+(thanks?|thank\s+you|way)\b"
                             r"|not\s+now\b|never\s*mind\b|nevermind\b)", re.IGNORECASE)


def declines(text: str | None) -> bool:
    """True when the words turn the waiting offer down: they hold back and do not ask, or they
    start with a plain no whatever follows."""
    words = text or ""
    if not sounds_like_no(words):
        return False
    return bool(_PLAIN_NO_FIRST.match(words)) or not asks(words)


def questions_the_offer(text: str | None) -> bool:
    """A question about the waiting offer rather than an answer to it."""
    return asks(text) and not declines(text)
