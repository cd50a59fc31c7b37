"""The one reading of the wall clock. The core never calls it: its rules take `now`."""
from __future__ import annotations

from datetime import datetime, timezone


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
