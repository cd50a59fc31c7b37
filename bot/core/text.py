"""Text from outside, made safe to store, send on and show.

JSON lets a client send a lone UTF-16 surrogate (`"\\ud800"`): Python keeps it in a `str`,
but no UTF-8 encoder will write it, so a page, a log line or a database row holding one
fails every time it is written out. Control characters (NUL, escape sequences, bell) mean
nothing in a chat and confuse terminals and logs. Every channel cleans what a customer or
an agent types where it enters; pages also clean what they show (older rows, transcripts),
and the console blanks the one-time codes customers type.
"""
from __future__ import annotations

import json
import re
from typing import Any

REPLACEMENT = "\ufffd"
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0 and C1 controls and DEL, except tab and newline; a carriage return ends a line.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A one-time code as customers type it: six digits, perhaps split in two ("123 456").
ONE_TIME_CODE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")
HIDDEN_CODE = "\u2022" * 6


def clean_text(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD and control characters (but newline
    and tab) removed; CRLF and CR line ends become newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", LONE_SURROGATE.sub(REPLACEMENT, text))


def parse_json(raw: str | bytes) -> Any:
    """JSON from outside. ValueError for anything else, also for JSON nested deeper than the
    parser follows: there it raises RecursionError, which every caller would let through as
    a 500 (`[` seven thousand times is a few kilobytes)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON is nested too deep") from None


def hide_codes(text: str) -> str:
    """`text` with any one-time code in it blanked: how the team sees a code typed in a chat
    (it proves the customer's address for a few minutes, and is nobody else's to read)."""
    return ONE_TIME_CODE.sub(HIDDEN_CODE, text)
