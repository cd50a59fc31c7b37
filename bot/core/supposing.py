"""A hypothetical read off its words (issue 28, class 5): whether a message asks what would happen
rather than for it to happen, what it is about (money back, cancelling, the trial, a plan, the
data, not paying), the reason it supposes, and when it supposes the payment or the asking to be.
bot/core/what_if.py tells the answer. Pure: no I/O, no clock.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.core.asking import asks, hypothetical
from bot.core.domain import Reason
from bot.core.plan_facts import asks_about_allowances

_DATA = re.compile(r"\b(contacts?|data|records|deals|export\w*|files?)\b", re.IGNORECASE)
_PLAN = re.compile(r"\b(downgrad\w*|upgrad\w*|switch\w*|starter|pro|yearly|monthly|annual\w*|"
                   r"(went|go|move|moved)\s+(down|up|to))\b", re.IGNORECASE)
_KEEP = re.compile(r"\bif\s+i\s+(don'?t|dont|do\s+not|didn'?t|never|keep\s+it|stay)\b", re.IGNORECASE)
_CANCEL = re.compile(r"\b(cancel\w*|quit|stop\w*|leave|left)\b", re.IGNORECASE)
_MONEY = re.compile(r"\b(refund\w*|money|back|anything)\b", re.IGNORECASE)
_STRONG = re.compile(r"\b(cancel\w*|refund\w*|forg[eo]t\w*)\b", re.IGNORECASE)
_FORGOT = re.compile(r"\bforg[eo]t\w*\b|\bdidn'?t\s+(notice|realise|realize)\b", re.IGNORECASE)
_UNUSED = re.compile(r"\b(never|didn'?t|haven'?t|not)\s+(used?|using|logged)\b", re.IGNORECASE)
# Not paying, as opposed to cancelling: the terms' failed payment, not the end of a renewal.
_UNPAID = re.compile(r"""\b(can'?t|cant|cannot|couldn'?t|couldnt|could\s+not|don'?t|dont|do\s+not|didn'?t|stop(ped)?
                             |unable\s+to|never)\s+(pay|afford)\w*\b
    | \bdeclin\w* | \b(payment|charge)s?\s+(fail\w*|bounc\w*|(doesn'?t|didn'?t|does\s+not|did\s+not)\s+go\s+through)
    | \bcard\s+(expire\w*|fail\w*|bounc\w*) | \bmiss(es|ed)?\s+a\s+payment""", re.IGNORECASE | re.VERBOSE)
_SAME_DAY = re.compile(r"\b(same|that)\s+day\b|\bright\s+away\b|\bstraight\s+away\b|\bwithin\s+(a|the)\s+day\b|"
                       r"\bimmediately\b", re.IGNORECASE)
_AGO = re.compile(r"\b(a|an|one|two|three|four|five|six|seven|\d+)\s+(hour|day|week|month)s?\s+ago\b", re.IGNORECASE)
_LATER = re.compile(r"\b(tomorrow|next\s+week|in\s+(a|an|one|two|three|four|five|six|seven|\d+)\s+(hour|day|week)s?)\b",
                    re.IGNORECASE)
# A cancellation supposed in the past ("what if I had cancelled before it renewed?"): what it would
# have saved, not what cancelling now does.
_HAD_CANCELLED = re.compile(r"""\b(had|i'?d)\s+(already\s+)?(cancell?ed|stopped|quit)\b
    | \bcancell?(ed|ing)?\s+(it\s+)?(earlier|sooner|in\s+time|before\s+(it|the|my|you)\b)""",
                            re.IGNORECASE | re.VERBOSE)
_BEFORE_PAYMENT = re.compile(r"""\b(in\s+time|earlier|sooner
    | before\s+(it|the|my|you)\s+(\w+\s+)?(renew\w*|charg\w*|payment|bill\w*|took))\b""", re.IGNORECASE | re.VERBOSE)
_PAST = re.compile(r"\b(yesterday|last\s+week|the\s+day\s+before)\b", re.IGNORECASE)
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1),
          "month": timedelta(days=30)}


_CONDITION = re.compile(r"""\b(if|suppos\w*|hypothetical\w*|in\s+theory|in\s+case|imagine|say\s+i|let'?s\s+say|
    were\s+i|not\s+(cancell?ing|going\s+to)|(just|only)\s+(asking|wondering|curious|checking|want\w*\s+to\s+know))\b""",
                        re.IGNORECASE | re.VERBOSE)


_OUTAGE_IF = re.compile(r"""
    \bif\s+(it'?s|its|it\s+(is|was|were|goes|went|stays|keeps)
            |the\s+(service|app|sync|crm|product|scheduler|feature)\s+(is|was|were|goes|went|stays|keeps))
      \s+(still\s+)?(down|out|offline|broken|not\s+working|not\s+fixed|crashing|failing)\b
  | \bif\s+there\s*('?s|\s+is|\s+was|\s+were)\s+an?\s+(outage|incident)\b
""", re.IGNORECASE | re.VERBOSE)


def asks_about_an_outage(text: str | None) -> bool:
    """"so if it's down for a week I just lose out?": a question about an outage that may come,
    answered with what the rules allow (a credit, at the team's discretion), not a ticket."""
    return asks(text) and bool(_OUTAGE_IF.search(text or ""))


def asked_hypothetically(text: str | None, *, following_one: bool = False) -> bool:
    """Asked about rather than asked for: hypothetical words with a condition ("would I get anything
    back if I cancelled?"), or right after another hypothetical ("and would I get anything back?"),
    or a question about an outage that may come. "I cancelled yesterday, would I get a refund?"
    states a fact and asks for the refund."""
    return asks_about_an_outage(text) or (hypothetical(text) and (following_one or bool(_CONDITION.search(text or ""))))


def about_data(text: str | None) -> bool:
    """The words name the customer's data (contacts, deals, files, an export)."""
    return bool(_DATA.search(text or ""))


def about_not_paying(text: str | None) -> bool:
    """The words suppose a payment that fails or isn't made, not a cancellation."""
    return bool(_UNPAID.search(text or ""))


def about_a_plan(text: str | None) -> bool:
    """The words name a plan or a move between plans ("to go yearly", "if I downgraded")."""
    return bool(_PLAN.search(text or ""))


def subject(text: str | None, *, trialing: bool, previous: str | None = None) -> str:
    """What a hypothetical is about: unpaid, data, plan, trial_cancel, trial_keep, cancel_earlier,
    refund or cancel."""
    words = text or ""
    if _UNPAID.search(words):
        return "unpaid"  # before _KEEP: "if I don't pay" is not "if I don't cancel"
    if previous == "plan" and not _STRONG.search(words) and not about_data(words):
        return "plan"  # "and would I get anything back for this month?" after a plan question
    if about_data(words):
        return "data"
    if _PLAN.search(words):
        return "plan"
    if _KEEP.search(words) and (trialing or not _MONEY.search(words)):
        return "trial_keep"  # out of a trial, "if I keep it a bit longer, would I still get the refund?" is money
    if trialing and (_CANCEL.search(words) or _MONEY.search(words)):
        return "trial_cancel"
    if _HAD_CANCELLED.search(words):
        return "cancel_earlier"
    if _MONEY.search(words) or _FORGOT.search(words):
        return "refund"
    if _CANCEL.search(words) or previous is None:
        return "cancel"
    return previous


def about_the_account(text: str | None, *, previous: str | None = None) -> bool:
    """Whether a hypothetical is one of these: money back, cancelling, the trial, plans, data, an
    outage (or a follow-up of one), rather than something else asked with "what if"."""
    words = text or ""
    return previous is not None or asks_about_an_outage(words) or asks_about_allowances(words) or \
        any(p.search(words) for p in (_UNPAID, _DATA, _PLAN, _KEEP, _CANCEL, _MONEY, _FORGOT))


def reason(text: str | None, previous: str | None = None) -> Reason:
    """The reason the hypothetical gives ("say I forgot"), else the one it followed."""
    if _FORGOT.search(text or ""):
        return Reason.FORGOT_SUBSCRIPTION
    if _UNUSED.search(text or ""):
        return Reason.UNUSED_ACCOUNT
    return Reason(previous) if previous in {r.value for r in Reason} else Reason.UNSPECIFIED


def supposed_charge(text: str | None, now: datetime) -> datetime | None:
    """When the customer supposes they were charged ("a week ago", "on the same day"), if they say."""
    words = text or ""
    if _SAME_DAY.search(words):
        return now - timedelta(hours=1)
    ago = _AGO.search(words)
    if ago:
        return now - _span(ago[1], ago[2])
    return None


def supposed_cancellation(text: str | None, now: datetime) -> datetime | None:
    """When the customer supposes they had cancelled ("yesterday", "a week ago"); None for "before
    it renewed", "in time" or no time said: before the payment."""
    words = text or ""
    if _BEFORE_PAYMENT.search(words):
        return None
    past, ago = _PAST.search(words), _AGO.search(words)
    if ago:
        return now - _span(ago[1], ago[2])
    if past:
        return now - (timedelta(weeks=1) if past[0].lower().startswith("last") else timedelta(days=1))
    return None


def supposed_later(text: str | None, now: datetime) -> tuple[datetime, str] | None:
    """When the customer supposes they would ask ("tomorrow", "in two days", "next week"), and
    those words, if they say."""
    later = _LATER.search(text or "")
    if later is None:
        return None
    words = " ".join(later[0].lower().split())
    if words == "tomorrow":
        return now + timedelta(days=1), words
    if words == "next week":
        return now + timedelta(weeks=1), words
    return now + _span(later[2], later[3]), words


def _span(count: str, unit: str) -> timedelta:
    """A count ("two", "2") of a unit ("day") as a length of time."""
    return (int(count) if count.isdigit() else _COUNTS[count.lower()]) * _UNITS[unit.lower()]
