"""Money, days and deadlines the way a customer reads them (Babel's CLDR data, no I/O).

The assistant speaks English; a customer's locale decides how money is written
($49.00, ¥4,354, 49,00 €) and which English date order they see (December 4 in the
US, 4 December elsewhere), and their time zone decides the clock time of a deadline.
Unknown or malformed locales and zones fall back to en_US and UTC, never to an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location, get_timezone_name
from babel.lists import format_list
from babel.numbers import format_currency

from bot.core.money import exponent

DEFAULT_LOCALE = "en_US"


@dataclass(frozen=True)
class Reader:
    """Who reads a sentence: their locale and time zone (from the widget, when it knows)."""
    locale: str = DEFAULT_LOCALE
    timezone: str = "UTC"

    @property
    def money_locale(self) -> Locale:
        return _locale(self.locale) or Locale.parse(DEFAULT_LOCALE)

    @property
    def date_locale(self) -> Locale:
        """English in the reader's region's date order: en_GB for Germany, en_US for the US."""
        found = _locale(self.locale)
        territory = found.territory if found else None
        return (_locale(f"en_{territory}") if territory else None) or Locale.parse(DEFAULT_LOCALE)

    @property
    def zone(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return timezone.utc


def _locale(text: str | None) -> Locale | None:
    try:
        return Locale.parse((text or "").replace("-", "_")) if text else None
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def listing(words: list[str], reader: Reader = Reader()) -> str:
    """"a, b and c", in the reader's English."""
    return format_list(words, locale=reader.date_locale)


def money(amount: int, currency: str, reader: Reader = Reader()) -> str:
    """Minor units to the reader's way of writing that currency: 4900 usd -> $49.00."""
    major = Decimal(amount).scaleb(-exponent(currency))
    return format_currency(major, currency.upper(), locale=reader.money_locale)


def day(moment: date | datetime, reader: Reader = Reader(), *, now: datetime | None = None) -> str:
    """'December 4', with the year when it is not this year's: 'December 4, 2027'."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(reader.zone).date()
    this_year = now.astimezone(reader.zone).year if now else moment.year
    if moment.year == this_year:
        return format_skeleton("MMMMd", moment, locale=reader.date_locale)
    return format_date(moment, "long", locale=reader.date_locale)


def span(seconds: int) -> str:
    """A length of time in words, to the hour (the console's durations, written out): '12 days
    and 12 hours', '3 days', '10 hours', '45 minutes'."""
    days, rest = divmod(int(seconds), 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if not days and not hours:
        return _count(minutes, "minute")
    parts = [_count(days, "day")] if days else []
    return " and ".join(parts + ([_count(hours, "hour")] if hours else []))


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def deadline(moment: datetime, reader: Reader = Reader(), *, now: datetime | None = None) -> str:
    """'Friday, December 4 at 11:00 AM EST': a weekday, a day and a clock time in their zone."""
    local = moment.astimezone(reader.zone)
    weekday = format_date(local.date(), "EEEE", locale=reader.date_locale)
    clock = format_time(local, "short", locale=reader.date_locale)
    return f"{weekday}, {day(local, reader, now=now)} at {clock} {zone_name(local, reader)}"


def zone_name(local: datetime, reader: Reader) -> str:
    """The zone as people name it: 'EST', 'CET'; where the reader's English has no name for it
    (CLDR falls back to an offset, '+0100'), its city's: 'Rome time'."""
    if reader.zone is timezone.utc:
        return "UTC"
    name = get_timezone_name(local, "short", locale=reader.date_locale)
    if name[:1] in "+-" or name[:4] in ("GMT+", "GMT-"):
        return f"{get_timezone_location(local, locale=reader.date_locale, return_city=True)} time"
    return name
