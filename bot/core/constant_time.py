"""Comparing secrets (signatures, tokens, CSRF values) in constant time.

`hmac.compare_digest` raises TypeError for text with non-ASCII characters, and a header,
a form field or a file can hold anything: compared as text, a stranger's "é" was a 500.
Every secret comparison goes through here, as bytes.
"""
from __future__ import annotations

import hmac


def secret_matches(presented: str | None, expected: str | None) -> bool:
    """False for a missing or empty secret on either side: an unset value matches nothing."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogateescape"),
                               expected.encode("utf-8", "surrogateescape"))
