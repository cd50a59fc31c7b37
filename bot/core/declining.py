"""Whether a customer's message declines the offer waiting for their answer.

`sounds_like_no` (bot/core/decline_words.py) reads words that hold back ("wait", "keep my...", "not
sure") as a no, which is right for an answer and wrong for a question: "wait, why isn't it the
full amount?" or "do I keep my contacts?" asks about the offer, it does not turn it down. A
question is answered and the offer asked again (actions/waiting_offer.py); only a message that starts
with a plain no ("no, why would I?", "nah what for") declines while asking. A no followed by a
question of its own ("no forget it, what does pro have that basic doesn't") declines and then asks
it (`asks_besides`). Pure.
"""
from __future__ import annotations

import re

from bot.core.asking import asks
from bot.core.decline_words import sounds_like_no
from bot.core.clauses import FOLLOW_UPS

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


# The no's own words, up to the first mark that ends them: "no forget it," in "no forget it, what ...".
_THE_NO = re.compile(r"^[^,.;:!?]*[,.;:!?]+\s*")


def asks_besides(text: str | None, intent: str | None) -> bool:
    """A message that declines and, after its no, asks a question of its own: the offer is declined
    and the question answered. A short follow-up the model read as about the offer ("no, why would
    I?", "nah, how much though") is not one: with the offer declined there is nothing for it to
    be about."""
    words = text or ""
    if not declines(words) or intent in FOLLOW_UPS:
        return False
    rest = _THE_NO.sub("", words, count=1)
    return rest != words and asks(rest)
