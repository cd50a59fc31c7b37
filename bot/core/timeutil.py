"""Parsing of the ISO 8601 times that seeds, the CLI and conversations carry."""
from __future__ import annotations

from datetime import datetime, timezone


def parse_utc(value: object) -> datetime:
    """An aware UTC datetime from an ISO 8601 string or a datetime; naive means UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    else:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)

