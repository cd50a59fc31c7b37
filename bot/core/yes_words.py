"""A yes that says what it wants ("ok cancel it", "fine, just refund me then") when nothing was
offered: the request it names, so it is answered as that request (with an offer of its own, for
its own yes) rather than told there was nothing to say yes to. Pure: words in, an intent out."""
from __future__ import annotations

import re

from bot.core.decline_words import sounds_like_no

_LEAD = (r"^\W*((ok(ay)?|yes|yeah|yep|sure|fine|alright|right|whatever|then|so|well|just|please"
         r"|go\s+ahead(\s+and)?)\W+)*")
_NAMED = (
    ("cancel_subscription", re.compile(
        _LEAD + r"(please\s+)?cancel\s+(it|that|me|this|my\s+(subscription|plan|account)|the\s+(subscription|plan))\b",
        re.IGNORECASE)),
    ("request_refund", re.compile(
        _LEAD + r"(please\s+)?(refund\s+(it|that|me|my\s+(money|payment))"
                r"|give\s+me\s+(the|my)\s+(refund|money\s+back))\b",
        re.IGNORECASE)),
)


def request_named(text: str | None) -> str | None:
    """The request a yes names in its first words, or None for a yes that names none ("ok", "sure,
    sounds good") or names one only in passing ("yes, but don't cancel it yet" starts no cancellation)."""
    words = text or ""
    # What declines an offer ("cancel that", "leave it", "wait") names no request either.
    if sounds_like_no(words) or re.search(r"\b(don'?t|do\s+not|not|never|no)\b", words, re.IGNORECASE):
        return None
    return next((intent for intent, pattern in _NAMED if pattern.search(words)), None)
