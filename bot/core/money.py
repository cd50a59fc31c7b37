"""Integer money arithmetic. Amounts are always ints in the currency's minor unit.

Ratios are exact `Fraction`s so that rounding happens once, half up, at the end.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

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
