"""Whether a message also takes leave ("thanks, bye!"): the model reads thanks with a goodbye as
thanks (data/nlu labels them so), and "anything else I can help with?" to someone leaving asks
them to stay. And whether it accepts an answer with a grumble ("that seems harsh but ok"): no
question, and no yes to anything."""
from __future__ import annotations

import re

_TAKES_LEAVE = re.compile(r"""
    \b(good\s*)?bye\b | \bbye\s*bye\b | \bcya\b | \bttyl\b | \bsee\s+(you|ya)\b | \btake\s+care\b | \blaters\b
  | \bhave\s+a\s+(good|great|nice|lovely)\s+(one|day|evening|night|weekend)\b | \bgood\s*night\b | \bthat'?s\s+all\b
  | \bsigning\s+(off|out)\b | \bciao\b | \bcheerio\b
""", re.IGNORECASE | re.VERBOSE)


def takes_leave(text: str | None) -> bool:
    return bool(_TAKES_LEAVE.search(text or ""))


# Thanks in words: "ok noted", "fair enough" or "good to know" only acknowledge an answer, and
# "you're welcome" to them thanks the customer for a thank-you they did not say.
_THANKS = re.compile(r"\b(thanks?|thx|thnx|thank\s*you|ty|cheers|ta|appreciated?|grateful|helpful|merci)\b",
                     re.IGNORECASE)


def says_thanks(text: str | None) -> bool:
    return bool(_THANKS.search(text or ""))


# A grumble, then the acceptance at the end: "that seems harsh but ok", "annoying, fine i guess"
_ACCEPTS_GRUDGINGLY = re.compile(r"""
    \b(but|though|anyway|well|still)\W+(i\s+guess\s+)?(ok(ay)?|fine|alright|fair\s+enough|understood|got\s+it)
    (\s+(i\s+guess|then|thanks?))?\W*$
  | \b(ok(ay)?|fine|alright)\s+i\s+guess\W*$
""", re.IGNORECASE | re.VERBOSE)

GRUDGING_ACCEPTANCE = ("I understand it's not the answer you hoped for. If you'd like, a person from our support "
                       "team can look at it with you; otherwise, is there anything else I can help with?")


def accepts_grudgingly(text: str | None) -> bool:
    return bool(_ACCEPTS_GRUDGINGLY.search(text or ""))

