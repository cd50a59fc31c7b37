"""The customer's own facts in words (issue 28, class 4): days left in the trial and its end,
the last and the next payment, the plan, whether a known incident is over.

Each answer reads only the account's plain data (bot/core/domain.py), the plan's name and `now`,
and writes money and dates for the reader (bot/core/formatting.py). Which fact a question asks
is read off its words (`facts_asked`); a question that names none gets the whole summary.
Each answer comes with the `topic` it leaves for follow-ups ("when exactly?", "how much?"),
which `follow_up` answers. Pure: no I/O, no clock.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core import rules, trial_follow_ups, what_if
from bot.core.trial_follow_ups import days_left
from bot.core.asking import asks
from bot.core.domain import Account, Charge, Incident, Subscription
from bot.core.formatting import Reader, day, deadline, money, span
from bot.core.timeutil import parse_utc


_ASKS = (  # fact -> the words that ask for it; in this order when a question asks several
    ("trial", re.compile(r"\btrial\b|\btrail\b", re.IGNORECASE)),
    ("last_payment", re.compile(r"\b(last|latest|previous|recent)\b.*\b(charge|payment|bill|paid|invoice)|"
                                r"\b(did|have)\s+you\s+(last\s+)?(charge|bill)|\b(last|latest)\s+(one|time)\b|"
                                r"\bwhen\s+(was|were)\s+i\s+(last\s+)?(charged|billed)", re.IGNORECASE)),
    ("next_payment", re.compile(r"\bnext\b|\brenew|\bwill\s+(you|i)\s+(be\s+)?(charge|bill|pay)|\bupcoming\b|"
                                r"\b(charge|bill)\s+me\s+(again|next)\b", re.IGNORECASE)),
    ("plan", re.compile(r"\b(what|which)\s+plan\b|\bplan\s+(is|am)\b|\bwhat\s+am\s+i\s+on\b|\bmy\s+plan\b",
                        re.IGNORECASE)),
)


# "how long until my trial runs out", "what do I have left": the customer's own trial, not its terms.
OWN_TRIAL = re.compile(r"\bmy\s+(free\s+)?tri[ae]l\b|\b(i|we)\s+(have|got)\s+left\b", re.IGNORECASE)


def asks_own_trial(text: str | None) -> bool:
    return bool(OWN_TRIAL.search(text or ""))


def facts_asked(text: str | None) -> tuple[str, ...]:
    """The facts a question asks for, in a fixed order ("when is my next bill and what plan is that")."""
    return tuple(fact for fact, words in _ASKS if words.search(text or ""))


def plan_line(plan_name: str, sub: Subscription, reader: Reader) -> str:
    if sub.status == "canceled":
        return f"You were on the {plan_name} plan; the subscription is cancelled and won't renew."
    # as the summary says it
    return f"You're on the {plan_name} plan at {money(sub.price, sub.currency, reader)} a {sub.interval}."


def trial_answer(sub: Subscription, plan_name: str, reader: Reader, now: datetime) -> str:
    """Days left, the end date, and what is charged then (or that nothing is)."""
    end = sub.trial_end
    price = money(sub.price, sub.currency, reader)
    if end is None or sub.status != "trialing":
        return f"Your free trial has ended: you're on {plan_name}, at {price} a {sub.interval}."
    if end <= now:
        return f"Your free trial ended on {day(end, reader, now=now)}."
    when = f"Your free trial ends on {deadline(end, reader, now=now)}, in {days_left(end, now)}."
    if not sub.renews:
        return f"{when} You've cancelled, so you won't be charged: your access simply ends then."
    return (f"{when} Then {plan_name} starts and {price} is charged automatically, and every {sub.interval} after; "
            f"cancel before then and you're never charged.")


def last_payment_answer(charges: tuple[Charge, ...], reader: Reader, now: datetime) -> str:
    latest = rules.latest_charge(charges, now)
    if latest is None:
        return "You haven't made a payment yet."
    back = f" ({money(latest.refunded, latest.currency, reader)} of it refunded)" if latest.refunded else ""
    return f"Your last payment was {money(latest.amount, latest.currency, reader)} on " \
           f"{day(latest.created, reader, now=now)}{back}."


# "you charged me twice", "a duplicate charge", "billed 2x": a billing error, which a person checks
# with the payment processor. The customer first hears what the account shows.
SAYS_CHARGED_TWICE = re.compile(r"\b(twice|two\s+times|2\s*x|double[\s-]*(charged|billed|charge|payment)|"
                                r"(charged|billed)\s+double|duplicate|"
                                r"second\s+(charge|payment)|two\s+(charges|payments)|charged\s+again)\b",
                                re.IGNORECASE)
RECENT_DAYS = 45  # a month's payment and the one before it, whatever day of the month it is asked


def recent_payments_answer(charges: tuple[Charge, ...], reader: Reader, now: datetime) -> str:
    """The account's payments of the last `RECENT_DAYS` days, oldest first, each with its day."""
    recent = sorted((c for c in charges if now - timedelta(days=RECENT_DAYS) <= c.created <= now),
                    key=lambda c: c.created)
    if not recent:
        return f"I don't see any payment from you in the last {RECENT_DAYS} days."

    def told(charge: Charge) -> str:
        back = " (refunded)" if charge.refunded >= charge.amount else \
            f" ({money(charge.refunded, charge.currency, reader)} of it refunded)" if charge.refunded else ""
        return f"{money(charge.amount, charge.currency, reader)} on {day(charge.created, reader, now=now)}{back}"

    listed = [told(c) for c in recent]
    said = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + f" and {listed[-1]}"
    count = "one payment" if len(recent) == 1 else f"{len(recent)} payments"
    return f"Here's what I see: {count} from you in the last {RECENT_DAYS} days, {said}."


def next_payment_answer(sub: Subscription, plan_name: str, reader: Reader, now: datetime) -> str:
    price = money(sub.price, sub.currency, reader)
    end = sub.current_period_end
    if sub.status == "canceled" or end <= now:
        return "There's no next payment: your subscription has ended and won't renew."
    if not sub.renews:
        return f"There's no next payment: your subscription won't renew, and you keep access until " \
               f"{day(end, reader, now=now)}."
    first = sub.status == "trialing" and sub.trial_end is not None
    moment = sub.trial_end if first else end
    return f"Your {'first' if first else 'next'} payment is {price} on {day(moment, reader, now=now)}, " \
           f"for {plan_name}."


def account_answer(account: Account, plan_name: str, asked: tuple[str, ...], reader: Reader,
                   now: datetime) -> str | None:
    """The facts `asked` for, one sentence each; None when nothing specific was asked (or there
    is no subscription to answer from), so the caller says the whole summary."""
    sub = account.subscription
    if sub is None or not asked:
        return None
    sentences = {"trial": lambda: trial_answer(sub, plan_name, reader, now),
                 "last_payment": lambda: last_payment_answer(account.charges, reader, now),
                 "next_payment": lambda: next_payment_answer(sub, plan_name, reader, now),
                 "plan": lambda: plan_line(plan_name, sub, reader)}
    return " ".join(sentences[fact]() for fact in asked)


def account_topic(sub: Subscription, access_until: datetime | None, *, charges: tuple[Charge, ...] = (),
                  plan_name: str = "", now: datetime | None = None) -> dict:
    """What follow-ups about the account ("how much?", "when?", "why was I charged?") need;
    `access_until` is None once access has ended (an R1 refund ends it at once, before the period
    does)."""
    latest = rules.latest_charge(charges, now) if charges and now else None
    return {"kind": "account", "renews": sub.renews, "period_end": access_until.isoformat() if access_until else None,
            "price": sub.price, "currency": sub.currency, "interval": sub.interval, "plan": plan_name,
            **({"last_charge": {"amount": latest.amount, "on": latest.created.isoformat()}} if latest else {})}


def trial_topic(sub: Subscription, plan_name: str, *, extension_asked: bool = False) -> dict:
    return {"kind": "trial", "trial_end": sub.trial_end.isoformat() if sub.trial_end else None,
            "renews": sub.renews, "price": sub.price, "currency": sub.currency, "interval": sub.interval,
            "plan": plan_name, **({"extension_asked": True} if extension_asked else {})}


# "can you extend my trial?": the trial's length is the terms', and an exception is a person's call
_EXTEND = re.compile(r"\b(extend\w*|extension|prolong\w*|longer\s+trial|trial\s+longer|another\s+week)\b",
                     re.IGNORECASE)
TRIAL_EXTENSION = ("I can't extend a trial myself: it's the same length for every account, and an exception is our "
                   "support team's call. A person can tell you whether it's possible.")


def asks_to_extend_trial(text: str | None) -> bool:
    return bool(_EXTEND.search(text or ""))


# --- incidents -------------------------------------------------------------------------------

def feature_name(feature: str) -> str:
    """'group-sync' -> 'group sync': as customers call it."""
    return feature.replace("-", " ").replace("_", " ")


def names_feature(feature: str, text: str | None) -> bool:
    """Whether the words name this feature ("the sync", "scheduler", "my scheduled posts", "syncing"):
    compared by stem; "group" and "post" alone are too common to name one."""
    words = {_stem(word) for word in re.findall(r"[a-z]+", (text or "").lower())}
    return bool(words & {_stem(word) for word in feature_name(feature).split() if word not in ("group", "post")})


def _stem(word: str) -> str:
    """'scheduler', 'scheduled', 'schedule', 'scheduling' -> 'schedul'; 'syncing' -> 'sync'."""
    return re.sub(r"(ing|ed|er|es|e|s)$", "", word) if len(word) > 4 else word


def incident_named(incidents: tuple[Incident, ...], text: str | None, now: datetime) -> Incident | None:
    """The latest incident the words name, None if they name none."""
    named = [i for i in incidents if i.start <= now and names_feature(i.feature, text)]
    return max(named, key=_latest, default=None)


def latest_incident(incidents: tuple[Incident, ...], now: datetime) -> Incident | None:
    """The one still on, else the one fixed last; None if none has started."""
    return max((i for i in incidents if i.start <= now), key=_latest, default=None)


def incident_asked(incidents: tuple[Incident, ...], text: str | None, now: datetime) -> Incident | None:
    """The incident the words name ("the sync", "scheduler"), else the latest one; None if none."""
    return incident_named(incidents, text, now) or latest_incident(incidents, now)


def _latest(incident: Incident) -> tuple:
    return incident.end is None, incident.end or incident.start, incident.start


# "Is it a known issue?" asks whether a problem is known, not whether it is fixed: "Not yet" would answer
# a question that wasn't asked.
# "Is it just me?": a yes would say it is; the answer says it isn't.
NOT_ONLY_ME = re.compile(r"""
    \b(just|only)\s+(me|us)\b
  | \b(any|some)(one|body)\s+else\s+(\w+\s+){0,2}(hav|see|get|experienc|report|notic|affect)\w*
  | \bother\s+(people|customers|users)\s+(\w+\s+){0,2}(hav|see|get|experienc|report|notic|affect)\w*
""", re.IGNORECASE | re.VERBOSE)
KNOWN_QUESTION = re.compile(NOT_ONLY_ME.pattern + r"""
  | \bknown\s+(issue|problem|bug|outage)s?\b | \baware\b
  | \b(is|are)\s+there\s+(an?|any)\s+(\w+\s+)?(outage|incident|issue|problem|bug)s?\b
  | \b(anything|something|what'?s?|what\s+is|any\s+\w+)\s+(else\s+)?(down|broken|not\s+working)\b
  | \bon\s+your\s+(side|end)\s*\?
""", re.IGNORECASE | re.VERBOSE)


def incident_answer(incident: Incident | None, reader: Reader, now: datetime, *, asked: str | None = None,
                    named: bool = True) -> str:
    """Whether it is still on or fixed, since when, and for how long: a status, never a claim.
    `asked` is the customer's question; `named` whether it named this incident's feature. An
    incident the customer didn't name is told as the one known, never as the one they meant."""
    if incident is None:
        return ("There's no known problem on our side affecting your account right now. If something isn't "
                "working for you, tell me what you see and I'll help.")
    name = feature_name(incident.feature)
    started = day(incident.start, reader, now=now)
    if incident.end is None or incident.end > now:
        down = (f"has been down since {deadline(incident.start, reader, now=now)} "
                f"({span(int((now - incident.start).total_seconds()))} so far), and our team is still working on it. "
                "There's no time for the fix yet; it will be on our status page as soon as it's back.")
        if not named:
            return (f"We know of a problem with the {name} right now: it {down} If you're seeing something else, "
                    "it isn't a problem we know of yet, and our team will want to hear what happens.")
        lead = "No, it's not just you" if NOT_ONLY_ME.search(asked or "") else \
            "Yes, we know about it" if KNOWN_QUESTION.search(asked or "") else "Not yet"
        return f"{lead}: {name.capitalize()} {down}"
    lasted = span(int((incident.end - incident.start).total_seconds()))
    fixed = (f"{name.capitalize()} was fixed on {deadline(incident.end, reader, now=now)} and has been working "
             f"again since. It was down from {started} for {lasted}.")
    if not named:
        return (f"There's no known problem on our side right now. The last one: {fixed[0].lower()}{fixed[1:]} If "
                "something isn't working for you, tell me what you see and I'll help.")
    return f"Yes: {fixed}"


def incident_topic(incident: Incident | None) -> dict:
    if incident is None:
        return {"kind": "incident"}
    return {"kind": "incident", "feature": incident.feature, "start": incident.start.isoformat(),
            "end": incident.end.isoformat() if incident.end else None}


# --- follow-ups on these topics ----------------------------------------------------------------

def follow_up(question: str, topic: Mapping, *, reader: Reader, now: datetime) -> str | None:
    """"when?", "why?", "how much?", "what now?" after an answer of this module's, of the plans'
    (bot/core/plan_facts.py) or a hypothetical's (bot/core/what_if.py); None for other topics."""
    kind = topic.get("kind")
    if kind == "trial":
        return trial_follow_ups.answer(question, topic, reader, now) or \
            trial_follow_ups.what_is_charged(topic, reader, now)
    if kind == "incident":
        return _incident_follow_up(question, topic, reader, now)
    if kind == "plans" and topic.get("said"):
        return topic["said"] if question == "how_much" else \
            "You can switch plans any time; the change is prorated, and I show you the exact amount before anything " \
            "changes. Just ask me to switch."
    if kind == "what_if":
        return what_if.follow_up(question, topic, reader=reader, now=now)
    return None


def _incident_follow_up(question: str, topic: Mapping, reader: Reader, now: datetime) -> str:
    if not topic.get("start"):
        return incident_answer(None, reader, now)
    incident = Incident(topic.get("feature") or "the feature", parse_utc(topic["start"]),
                        parse_utc(topic["end"]) if topic.get("end") else None)
    name = feature_name(incident.feature)
    ongoing = incident.end is None or incident.end > now
    since = deadline(incident.start, reader, now=now)
    if question == "when":
        return (f"It's been down since {since}, {span(int((now - incident.start).total_seconds()))} ago. Our team "
                "hasn't given a time for the fix yet; it will be on our status page as soon as it's back."
                if ongoing else
                f"It was fixed on {deadline(incident.end, reader, now=now)}, after being down since {since}.")
    if question == "how_much":
        return ("Asking about it changes nothing on your account. If the outage kept you from working, say so and "
                "I'll check what our rules allow: a credit for a long outage.")
    if question == "why":
        return f"It's a fault on our side with {name}, not something on your account or in your settings."
    return (f"Nothing for you to do: our team is working on {name}, and it will be on our status page when it's "
            "back. If you'd like a person to follow it up with you, just say so." if ongoing else
            f"Nothing: {name} is working again. If it still fails for you, tell me what you see and I'll help.")


STATUS_QUESTION = re.compile(r"""
    \b(fixed|resolved|sorted|repaired|back\s+(up|online|to\s+normal)|working\s+again|up\s+again)\b
  | \b(outage|incident|problem|issue)\s+(is\s+)?over\b
  | \b(is|are)\s+(it|the\s+\w+(\s+\w+)?|\w+(\s+sync)?)\s+still\s+(down|broken|out|off)\b
  | \b(any|an)\s+(update|news)\s+on\s+the\s+(outage|incident|issue|problem)\b
  | \bsince\s+when\b | \bhow\s+long\s+has\s+(it|the\s+\w+(\s+\w+)?)\s+been\s+(down|broken|out)\b
""", re.IGNORECASE | re.VERBOSE)
REPORT = re.compile(r"\b(doesn'?t|does\s+not|isn'?t|is\s+not|won'?t|can'?t|cannot|not)\s+(work|load|sync|open)",
                    re.IGNORECASE)


def asks_if_known(text: str | None) -> bool:
    """"Is it just me?", "are you aware of it?": whether a problem is known, asked in words the model
    has no intent for."""
    return asks(text or "") and bool(KNOWN_QUESTION.search(text or ""))


def asks_incident_status(text: str | None) -> bool:
    """"Is the sync fixed yet?": asks where a known problem stands, rather than reporting one
    ("group sync has been broken for over a week now" reports it)."""
    words = text or ""
    question = asks(words) or words.strip().lower().startswith("since when")
    return question and bool(STATUS_QUESTION.search(words)) and not REPORT.search(words)
