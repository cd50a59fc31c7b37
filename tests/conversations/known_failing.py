"""The conversations of the set that fail on the assistant as it is: the baseline measured
when the set was written (16 of 88 passed; a fallback on 64 of 261 customer turns). Each
runs as a (non-strict) xfail in test_conversation_set.py, so the suite stays green while the
work is open; the change that makes one pass must remove its id here (pytest reports its
XPASS). Nothing is ever added: the list only shrinks until the set passes whole."""

KNOWN_FAILING: frozenset[str] = frozenset()  # the whole set passes (2026-12-06)
