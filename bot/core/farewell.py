"""Whether a message also takes leave ("thanks, bye!"): the model reads thanks with a goodbye as
thanks (data/nlu labels them so), and "anything else I can help with?" to someone leaving asks
them to stay."""
from __future__ import annotations

import re

_TAKES_LEAVE = re.compile(r"""
    \b(good\s*)?bye\b | \bbye\s*bye\b | \bcya\b | \bttyl\b | \bsee\s+(you|ya)\b | \btake\s+care\b | \blaters\b
  | \bhave\s+a\s+(good|great|nice|lovely)\s+(one|day|evening|night|weekend)\b | \bgood\s*night\b | \bthat'?s\s+all\b
  | \bsigning\s+(off|out)\b | \bciao\b | \bcheerio\b
""", re.IGNORECASE | re.VERBOSE)


def takes_leave(text: str | None) -> bool:
    return bool(_TAKES_LEAVE.search(text or ""))
