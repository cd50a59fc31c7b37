"""What kind of question a message asks, read off its words: the context-free half of
understanding a follow-up.

The intent model says *that* a message is a follow-up ("and what would I get?", "has anyone
looked at it yet?"); which question it is (when, why, how much, what now, where things stand,
why a person decides) is a small closed set, told apart by its question words, and answered from
what the conversation is about (bot/core/topic_answers.py). A question is only ever read as a
follow-up while the conversation has a topic; without one it is an ordinary question.

Also: whether a message asks (a question is answered, never taken as a no to an open offer),
and whether it asks hypothetically ("would I get anything back if I cancelled?"), which is
answered in conditional words and moves nothing.
"""
from __future__ import annotations

import re

FOLLOW_UP_KINDS = ("status", "who_decides", "when", "why", "how_much", "what_next")

# The first kind whose words a question has wins, so the specific come before the general:
# "when will someone look at my case" asks where things stand, not a date in the abstract.
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("status", re.compile(r"""
        \b(any(one|body)|some(one|body)|a\s+person|(a|the)\s+team|an?\s+agent)\b.*\b(look|check|review|seen|got|pick)
      | \b(any|an?)\s+(news|update|progress|word|answer|reply)\b | \bstatus\b | \bstill\s+(waiting|open|pending)\b
      | \b(heard|hear)\s+(back|anything)\b | \bwhere\s+(are\s+we|is\s+(it|that|my))\b
      | \b(has|have|did)\s+(it|that|this|my\s+\w+)\s+(been|got)\s+(approved|looked|seen|reviewed|decided|done)
      | \b(is|was)\s+(it|that|this|my\s+\w+)\s+(approved|decided|done|sorted|processed|through)\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("who_decides", re.compile(r"""
        \b(can'?t|cannot|could(n'?t)?|why\s+(can'?t|don'?t|won'?t))\s+you\s+(just\s+)?(do|decide|approve|sort|handle|fix|give|pay|refund)
      | \bwhy\s+(do(es)?\s+)?(i|it|this)\s+(need(\s+to\s+wait\s+for)?|have\s+to\s+wait\s+for|wait\s+for|go\s+to)
        \s+(a\s+)?(person|human|someone|team|agent)
      | \bwhy\s+(a|do\s+i\s+need\s+a)\s+(person|human)\b | \bwho\s+(decides|approves|makes\s+the\s+call)\b
      | \b(do\s+it|decide)\s+yourself\b | \bare\s+you\s+(not\s+)?allowed\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("how_much", re.compile(r"""
        \bhow\s+much\b | \bwhat\s+(would|will|do|did|could)\s+i\s+(get|receive|be\s+paid|get\s+back)\b
      | \b(what|which)\s+(amount|sum|price)\b | \bhow\s+big\b | \bhow\s+many\s+(dollars|euros|pounds|yen)\b
      | \bwhat'?s\s+(it|that)\s+(worth|come\s+to)\b | \bthe\s+(amount|total)\b | \bcost\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("when", re.compile(r"""
        \bwhen\b | \bhow\s+(long|soon|quickly)\b | \bby\s+(what|which)\s+(time|date|day)\b | \bwhat\s+(date|day|time)\b
      | \b(till|until)\s+when\b | \bany\s+idea\s+of\s+timing\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("why", re.compile(r"""
        \bwhy\b | \bhow\s+come\b | \bwhat\s+for\b | \bwhat'?s\s+the\s+reason\b | \bon\s+what\s+(basis|grounds)\b
      | \bexplain\b | \bi\s+don'?t\s+(get|understand)\s+(it|why|that)\b
    """, re.IGNORECASE | re.VERBOSE)),
    ("what_next", re.compile(r"""
        \bwhat\s+(now|next|happens|then|do\s+i\s+do|should\s+i\s+do|if)\b | \b(and\s+)?then\s+what\b | \bnext\s+step
      | \bwhat\s+do\s+i\s+need\s+to\s+do\b | \bdo\s+i\s+(need|have)\s+to\s+do\s+anything\b | \bis\s+that\s+(it|all)\b
    """, re.IGNORECASE | re.VERBOSE)),
)

_QUESTION_START = re.compile(
    r"^\W*(and\s+|but\s+|so\s+|ok(ay)?,?\s+|hmm+,?\s+|wait,?\s+)?"
    r"(what|whats|what's|why|how|when|where|who|which|is|are|do|does|did|can|could|will|would|should|shall|"
    r"has|have|am|may|might|isn'?t|aren'?t|don'?t|doesn'?t|won'?t|can'?t)\b", re.IGNORECASE)

_HYPOTHETICAL = re.compile(r"""
    \b(if|were)\s+i\s+(did|were\s+to|was\s+to|decided|chose|cancel(l?ed)?|stop(ped)?|quit|left|asked|downgraded?|
                        upgraded?|switched|went)\b
  | \bwould\s+i\s+(get|be|have|receive|lose|keep|still|pay)\b
  | \bwhat\s+(would|will)\s+happen\s+if\b | \bwhat\s+if\s+i\b | \bhypothetical(ly)?\b | \bin\s+theory\b
  | \b(just|only)\s+(want(ed)?|wondering|asking|curious|checking)\b | \bnot\s+(cancell?ing|going\s+to\s+cancel)\b
  | \bsuppos(e|ing)\s+i\b | \bin\s+case\s+i\b
  | \bif\s+i\s+(don'?t|dont|do\s+not|didn'?t|never)\b | \bif\s+i'd\b | \b(say|imagine|let'?s\s+say)\s+i\b
  | \bwould\s+(that|it|this)\s+(be|get)\s+(refunded|charged|credited|paid\s+back)\b
""", re.IGNORECASE | re.VERBOSE)


def follow_up_kind(text: str | None) -> str | None:
    """Which follow-up question the words ask, or None when they name none."""
    words = text or ""
    return next((kind for kind, pattern in _KIND_WORDS if pattern.search(words)), None)


def asks(text: str | None) -> bool:
    """A question, by its mark or its first word ("what happens to my contacts if I cancel")."""
    words = (text or "").strip()
    return words.endswith("?") or bool(_QUESTION_START.match(words))


def hypothetical(text: str | None) -> bool:
    """Asked about what would happen, not asked for ("would I get anything back if I cancelled?")."""
    return bool(_HYPOTHETICAL.search(text or ""))
