"""Integer money arithmetic. Amounts are always ints in the currency's minor unit.

Ratios are exact `Fraction`s so that rounding happens once, half up, at the end.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)

# ISO 4217 currencies whose minor unit is the major unit (Stripe's list).
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())


def round_half_up(value: Fraction | int) -> int:
    """Round a non-negative exact value to the nearest int, halves away from zero."""
    value = Fraction(value)
    if value < 0:
        return -round_half_up(-value)
    return int(value + Fraction(1, 2))  # int() floors non-negative values


def fee(amount: int, percent: Fraction) -> int:
    return round_half_up(Fraction(amount) * percent / 100)


def microseconds(delta: timedelta) -> int:
    """Exact length of a timedelta; ratios of these equal ratios of seconds."""
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def remaining_fraction(start: datetime, end: datetime, now: datetime) -> Fraction:
    """clamp((end - now) / (end - start), 0, 1), exactly."""
    total = microseconds(end - start)
    if total <= 0:
        return Fraction(0)
    left = microseconds(end - now)
    return min(max(Fraction(left, total), Fraction(0)), Fraction(1))


def exponent(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """4655, 'usd' -> '46.55 USD'; 1200, 'jpy' -> '1200 JPY'."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**digits)
    text = f"{major}.{minor:0{digits}d}" if digits else str(major)
    return f"{sign}{text} {currency.upper()}"


# --- amounts an agent types ----------------------------------------------------------------

DEFAULT_LOCALE = "en_US"
SPACES = "\u0020\u00a0\u202f"  # what people type, and what locales group thousands with
LARGEST_INPUT = 10**12  # minor units: no real refund or credit comes near it


class AmountError(ValueError):
    """The text is not one positive amount in the currency, written the locale's way."""


def agent_locale(tag: str | None) -> Locale:
    """A Babel locale for a tag such as 'de-DE' or 'fr_CH', else DEFAULT_LOCALE."""
    try:
        return Locale.parse((tag or "").strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


def amount_input(amount: int, currency: str, locale: Locale) -> str:
    """4655, 'usd', de_DE -> '46,55': what an agent would type for `amount`."""
    digits = exponent(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(Decimal(amount).scaleb(-digits), format=pattern, locale=locale)


def parse_amount_input(text: str, currency: str, locale: Locale) -> int:
    """What an agent typed as an amount, in minor units; AmountError unless it is one plain
    positive number in the locale's way of writing them ('1,234.50' in en_US, '1.234,50' in
    de_DE), with at most the currency's decimals and optionally its code or symbol. Signs,
    ranges ('4-9'), exponents, other digits and stray characters are refused, not skipped."""
    example = amount_input(1250, currency, locale)
    number = _without_currency((text or "").strip(), currency, locale)
    decimal_symbol, group_symbol = get_decimal_symbol(locale), get_group_symbol(locale)
    if group_symbol in SPACES:
        number = "".join(group_symbol if c in SPACES else c for c in number)
    allowed = set("0123456789") | {decimal_symbol, group_symbol}
    if not number or any(c not in allowed for c in number) or not (number[0].isdigit() and number[-1].isdigit()):
        raise AmountError(f"give the amount as a number, like {example}")
    try:
        value = parse_decimal(number, locale=locale, strict=True)
    except NumberFormatError:
        raise AmountError(f"{text.strip()!r} is not an amount written like {example}") from None
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise AmountError(f"{currency.upper()} has {exponent(currency)} decimals at most")
    if minor <= 0:
        raise AmountError("the amount must be more than zero")
    if minor > LARGEST_INPUT:
        raise AmountError(f"{text.strip()!r} is far more than any payment")
    return int(minor)


def _without_currency(text: str, currency: str, locale: Locale) -> str:
    for mark in (currency.upper(), currency.lower(), get_currency_symbol(currency.upper(), locale)):
        if text.startswith(mark):
            return text[len(mark):].strip()
        if text.endswith(mark):
            return text[:-len(mark)].strip()
    return text
