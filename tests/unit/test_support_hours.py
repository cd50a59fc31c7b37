"""Support hours, table-tested: open now, or when next."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.policy import Policy
from bot.core.support_hours import next_opening
from bot.core.timeutil import parse_utc

OFFICE = Policy()  # mon-fri 09:00-17:00 UTC


@pytest.mark.parametrize("now, expected", [
    ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z"),  # Monday morning: open now
    ("2026-11-23T08:59:00Z", "2026-11-23T09:00:00Z"),  # just before opening
    ("2026-11-23T17:00:00Z", "2026-11-24T09:00:00Z"),  # closing time is closed
    ("2026-11-27T18:00:00Z", "2026-11-30T09:00:00Z"),  # Friday evening -> Monday
    ("2026-11-22T12:00:00Z", "2026-11-23T09:00:00Z"),  # Sunday
])
def test_next_opening(now, expected):
    assert next_opening(parse_utc(now), OFFICE) == parse_utc(expected)


def test_a_week_that_wraps_and_bad_settings():
    weekend = replace(OFFICE, support_days="fri-mon")
    sunday = parse_utc("2026-11-22T12:00:00Z")
    assert next_opening(sunday, weekend) == sunday  # Sunday is inside fri-mon: open now
    with pytest.raises(ValueError, match="unknown day"):
        next_opening(parse_utc("2026-11-22T12:00:00Z"), replace(OFFICE, support_days="funday"))
    with pytest.raises(ValueError, match="no opening"):
        next_opening(parse_utc("2026-11-22T12:00:00Z"), replace(OFFICE, support_open="18:00"))


def test_round_the_clock():
    always = replace(OFFICE, support_days="mon-sun", support_open="00:00", support_close="24:00")
    for moment in ("2026-11-22T00:00:00Z", "2026-11-22T23:59:59.999Z", "2026-11-23T12:00:00Z"):
        assert next_opening(parse_utc(moment), always) == parse_utc(moment), moment
