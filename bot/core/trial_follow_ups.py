"""Follow-ups about the customer's own free trial (the topic `facts.trial_topic` leaves): "when
does it end?", "how much will it be?", "what happens after?", "why?".

One place for them: the dialogue's topic questions and the facts' follow-ups both answer from
here. A trial the customer has cancelled charges nothing, and one that has ended has no days
left, so neither is told about a first payment. Pure: no I/O, no clock.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.core.formatting import Reader, day, money, span
from bot.core.timeutil import parse_utc

TRIAL_ENDED = "Your free trial has ended."
CANCELLED = "Nothing is charged: you've cancelled, so your trial ends without a payment."
TRIAL_EXTENSION_WHY = ("The trial's length is set for everyone, so making it longer for one account is an exception, "
                       "and exceptions are our support team's to decide, not mine. Press \"Talk to a person\" and "
                       "they'll tell you whether they can.")


def days_left(moment: datetime, now: datetime) -> str:
    """'5 days and 3 hours', '1 day and 6 hours', '7 hours': how long until `moment`."""
    return span(max(int((moment - now).total_seconds()), 0))


def _price_of(trial: Mapping, reader: Reader) -> str:
    return money(int(trial.get("price") or 0), trial.get("currency") or "usd", reader)


def _over(trial: Mapping, now: datetime) -> bool:
    return not trial.get("trial_end") or parse_utc(trial["trial_end"]) <= now


def _after(trial: Mapping, reader: Reader, now: datetime) -> str:
    if not trial.get("renews", True):
        return CANCELLED
    price = _price_of(trial, reader)
    plan = f"{trial['plan']} " if trial.get("plan") else ""  # "and which plan is it after that?"
    return (f"When it ends, your {plan}subscription starts and the first payment of {price} a {trial['interval']} "
            "is taken, unless you cancel before then; cancel in time and you're never charged.")


def _price(trial: Mapping, reader: Reader, now: datetime) -> str:
    """"What happens after?" may just have said it, so in other words."""
    if not trial.get("renews", True):
        return CANCELLED
    price, every = _price_of(trial, reader), trial["interval"]
    return (f"{price} a {every}. The first payment is taken on {day(parse_utc(trial['trial_end']), reader, now=now)}, "
            f"when your trial ends, then one every {every}; nothing is charged before that.")


def _when(trial: Mapping, reader: Reader, now: datetime) -> str:
    end = parse_utc(trial["trial_end"])
    return f"Your free trial ends on {day(end, reader, now=now)}, in {days_left(end, now)}."


def _why(trial: Mapping, reader: Reader, now: datetime) -> str:
    if trial.get("extension_asked"):  # "why not?" after asking for a longer trial: why that is a person's call
        return TRIAL_EXTENSION_WHY
    return "The trial is free so you can try everything before paying. " + _after(trial, reader, now)


_ANSWERS = {"when": _when, "what_next": _after, "how_much": _price, "why": _why}


def answer(question: str, trial: Mapping, reader: Reader, now: datetime) -> str | None:
    """The answer to one of the four follow-ups, or None for another question."""
    said = _ANSWERS.get(question)
    if said is None:
        return None
    if _over(trial, now) and not (said is _why and trial.get("extension_asked")):
        return TRIAL_ENDED  # why a trial isn't extended holds after it, too; nothing else does
    return said(trial, reader, now)


def what_is_charged(trial: Mapping, reader: Reader, now: datetime) -> str:
    """For any other question about the trial: what it will cost, and when."""
    if _over(trial, now):
        return TRIAL_ENDED
    if not trial.get("renews", True):
        return CANCELLED
    end = day(parse_utc(trial["trial_end"]), reader, now=now)
    return (f"{_price_of(trial, reader)} is charged automatically on {end}, when {trial.get('plan') or 'your plan'} "
            "starts, unless you cancel before.")
