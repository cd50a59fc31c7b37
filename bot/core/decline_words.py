"""What counts as a no, in the customer's own words.

Money, a cancellation or a plan change needs a plain yes to the offer just made. The
language model learns "no, keep it" as a denial, but a denial it has not seen ("I'd
rather hang on to it", "wait", "cancel that") may be read as another request. These
words are checked as well whenever an offer is waiting, and a yes that carries one of
them ("yes but wait") is not taken as a yes: when unsure, nothing moves.
"""
from __future__ import annotations

import re

_NO = re.compile(r"""
    ^\s*(no|nope|nah|never\s*mind|nevermind|not\s+(now|yet|today|really)|negative)\b
  | \b(don'?t|do\s+not|dont)\s+(do|cancel|refund|change|switch|touch|bother|want)
  | \b(wait|hold\s+on|hang\s+on|let\s+me\s+think|not\s+sure|on\s+second\s+thought)\b
  | ^\W*stop\W*$
  | \b(changed?\s+my\s+mind|change\s+of\s+heart|forget\s+(it|that|about\s+it))\b
  | \b(leave|keep)\s+(it|that|everything|things|my|the|as\s+is)\b
  | \b(i'?d|i\s+would|i'?ll|i\s+will)\s+(rather|prefer\s+to)?\s*(keep|stay|not)\b
  | \brather\s+(keep|not|stay)\b
  | \bstay\s+(on|with)\s+(my|the|what)\b | \bstay\s+(where|as)\s+i\s+am\b
  | \bcancel\s+(that|this|the\s+(request|change|offer))\b
  | \b(undo|back\s+out|scrap\s+that)\b
""", re.IGNORECASE | re.VERBOSE)


def sounds_like_no(text: str | None) -> bool:
    """True when the words decline or hold back, whatever else they say."""
    return bool(_NO.search(text or ""))
