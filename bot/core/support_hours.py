"""Support hours (policy: support_days, support_open, support_close in UTC, "24:00" for
midnight): when a person next answers (`now` while one is answering). Pure functions of the
policy and `now`."""
from __future__ import annotations

from datetime import datetime, time, timedelta

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _days(spec: str) -> set[int]:
    """'mon-fri', 'mon,wed,fri', 'sat-sun' -> weekday numbers (Monday is 0)."""
    chosen: set[int] = set()
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"support_days: unknown day in {spec!r}")
        start, end = DAYS.index(first), DAYS.index(last or first)
        chosen.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return chosen


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"support hours: {text!r} is not HH:MM") from None


def next_opening(now: datetime, policy) -> datetime:
    """`now` if people are answering, else the next moment they start (UTC)."""
    days, opens = _days(policy.support_days), _clock(policy.support_open)
    until_midnight = policy.support_close == "24:00"
    closes = time.max if until_midnight else _clock(policy.support_close)
    if not days or opens >= closes:
        raise ValueError("support hours: no opening time in the week")
    for offset in range(8):
        day = (now + timedelta(days=offset)).date()
        if day.weekday() not in days:
            continue
        start = datetime.combine(day, opens, tzinfo=now.tzinfo)
        end = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=now.tzinfo) if until_midnight
               else datetime.combine(day, closes, tzinfo=now.tzinfo))
        if offset == 0 and start <= now < end:
            return now
        if start > now:
            return start
    raise AssertionError("unreachable: some day in the next week opens")
