"""Whether a reply did what a turn expects: behaviour and facts, never exact sentences.

Every turn expects no fallback: a fallback is a reply that says "didn't understand" or "out of
scope" (one of those responses, read in Rasa's tracker, or their words), or (email) a mail whose
sentences the channel answered with nothing and handed to no one. What the fallback action
answers otherwise (a passage of the terms, the way to a person in the customer's language, or
while a case is open that its people have the message) is an answer, judged by the turn's
expectations like any other.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.topic_answers import NO_TOPIC
from tests.conversations.conversation_set import MOVED, OFFERS, TEMPLATE, Turn
from tests.conversations.observe import Changes
from tests.conversations.talk import Reply
from tests.support.e2e_stack import NOT_UNDERSTOOD

FALLBACK_ACTIONS = {"utter_please_rephrase", "utter_offer_human", "utter_out_of_scope", "utter_default",
                    "action_default_fallback", "action_two_stage_fallback"}
FALLBACK_PHRASES = (*NOT_UNDERSTOOD, "not something I can help with", NO_TOPIC.split(".")[0])
OFFER_TOKEN = re.compile(r'^/affirm\{"offer":\s*"([^"]+)"\}')
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
SAME_SENTENCE_WORDS = 6  # a repeated sentence this long or longer is the same answer again


def is_fallback(reply: Reply, turn_events: list[dict], changes: Changes) -> bool:
    answered_by = {e.get("name") for e in turn_events if e.get("event") == "action"}
    answered_by |= {(e.get("metadata") or {}).get("utter_action") for e in turn_events if e.get("event") == "bot"}
    left_alone = reply.unanswered > 0 and not changes.cases
    return bool(answered_by & FALLBACK_ACTIONS) or left_alone or any(
        phrase.lower() in reply.text.lower() for phrase in FALLBACK_PHRASES)


def check_turn(turn: Turn, reply: Reply, *, channel: str, changes: Changes, fallback: bool,
               facts: dict[str, datetime | None], zone: str | None, now: datetime,
               previous_said: str = "", explained: str = "") -> list[str]:
    """What the turn expected and did not get, in words; empty when it all held. For
    `new_words`: `previous_said` is what the assistant said the turn before, `explained` what
    it said now outside the messages carrying buttons (an offer asked again may repeat itself)."""
    problems = ["answered with a fallback"] if fallback else []

    def pattern(text: str) -> re.Pattern | None:
        expanded = expand(text, facts, ZoneInfo(zone or "UTC"), now)
        return None if expanded is None else re.compile(expanded, re.IGNORECASE)

    for key, wanted in (("says", turn.says), ("answers", turn.answers)):
        missing = [text for text in wanted if not _found(pattern(text), reply.text)]
        if missing and key == "answers":
            problems.append(f"answered {len(wanted) - len(missing)} of {len(wanted)} questions: no {missing}")
        elif missing:
            problems.append(f"says none of {missing}")
    said = [text for text in turn.not_says if _found(pattern(text), reply.text)]
    if said:
        problems.append(f"says {said}")
    titles = [b.get("title", "") for b in reply.buttons]
    for wanted in turn.buttons_include:  # by mail, a choice is words to reply with
        where = titles if channel != "email" else [reply.text]
        if not any(re.search(wanted, title, re.IGNORECASE) for title in where):
            problems.append(f"no button {wanted!r} (buttons: {titles})")
    shown = [title for title in titles if any(re.search(unwanted, title, re.IGNORECASE)
                                              for unwanted in turn.buttons_exclude)]
    if shown:
        problems.append(f"buttons {shown} should not be offered")
    if turn.offers is not None:
        problems += _offer_problems(turn.offers, reply, channel, changes)
    if turn.case is not None:
        problems += _case_problems(turn.case, changes)
    if turn.moved is not None:
        problems += _moved_problems(turn.moved, changes)
    if turn.new_words:
        repeated = repeated_sentences(previous_said, explained)
        if repeated:
            problems.append(f"repeats itself word for word: {repeated[0]!r}")
    return problems


def _found(compiled: re.Pattern | None, text: str) -> bool:
    return compiled is not None and compiled.search(text) is not None


def _offer_problems(wanted: str, reply: Reply, channel: str, changes: Changes) -> list[str]:
    """An offer made this turn and still open; in a chat, also the one its yes button names."""
    open_now = {token: kind for token, (kind, status) in changes.offers.items() if status == "open"}
    yes_buttons = [m.group(1) for b in reply.buttons if (m := OFFER_TOKEN.match(b.get("payload", "")))]
    shown = set(open_now.values()) if channel == "email" else {open_now[t] for t in yes_buttons if t in open_now}
    if wanted == "none":
        return [f"offers {sorted(set(open_now.values()))} (yes buttons: {len(yes_buttons)})"] \
            if open_now or yes_buttons else []
    if OFFERS[wanted] not in shown:
        return [f"no open {wanted} offer with a yes to it (offers shown: {sorted(shown) or 'none'})"]
    return []


def _case_problems(wanted: str, changes: Changes) -> list[str]:
    kinds = {kind for kind, _action in changes.cases}
    if wanted == "none":
        return [f"opened or joined a case ({sorted(kinds)})"] if kinds else []
    if not kinds:
        return [f"no case opened or joined (expected {wanted})"]
    if wanted != "opened" and wanted not in kinds:
        return [f"a {sorted(kinds)} case, not {wanted}"]
    return []


def _moved_problems(wanted: str, changes: Changes) -> list[str]:
    kinds = {kind for kind, _status in changes.moved}
    if wanted == "nothing":
        return [f"moved {changes.moved}"] if changes.moved else []
    done = {kind for kind, status in changes.moved if status == "succeeded"}
    if MOVED[wanted] not in done:
        return [f"no {wanted} went through (ledger: {list(changes.moved) or 'nothing'})"]
    if wanted == "cancellation" and "refund" in kinds:
        return ["refunded too, where only a cancellation was asked"]
    return []


def repeated_sentences(previous: str, current: str) -> list[str]:
    """Sentences of `current` that `previous` already said, word for word."""
    earlier = {_normal(s) for s in SENTENCE_END.split(previous)}
    return [s for s in SENTENCE_END.split(current)
            if len(s.split()) >= SAME_SENTENCE_WORDS and _normal(s) in earlier]


def _normal(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def expand(text: str, facts: dict[str, datetime | None], zone: ZoneInfo, now: datetime) -> str | None:
    """`text` with each {date:FACT} and {days_until:FACT} as a regular expression for that
    fact of the customer; None when the customer has no such fact (the expectation fails)."""
    missing = False

    def fact(match: re.Match) -> str:
        nonlocal missing
        kind, name = match.groups()
        moment = facts.get(name)
        if moment is None:
            missing = True
            return ""
        return date_pattern(moment, zone) if kind == "date" else days_pattern(moment - now)

    expanded = TEMPLATE.sub(fact, text)
    return None if missing else expanded


def date_pattern(moment: datetime, zone: ZoneInfo) -> str:
    """The day `moment` falls on in the customer's time zone, as English text or digits write it."""
    d = moment.astimezone(zone).date()
    month, day = f"(?:{d:%B}|{d:%b}\\.?)", f"0?{d.day}(?:st|nd|rd|th)?"
    return (f"(?:{month},? {day}\\b|\\b{day} (?:of )?{month}|{d.year}[-/.]0?{d.month}[-/.]0?{d.day}\\b"
            f"|\\b0?{d.day}[./]0?{d.month}[./]{d.year}|\\b0?{d.month}/0?{d.day}/{d.year}|{d.month}月{d.day}日)")


def days_pattern(left: timedelta) -> str:
    """Whole days left, counted down or to the nearest day ("5 days", "five days", "tomorrow")."""
    days = left / timedelta(days=1)
    counts = sorted({math.floor(days), round(days)})
    words = [str(n) for n in counts] + [NUMBER_WORDS[n] for n in counts if 0 <= n < len(NUMBER_WORDS)]
    extra = "|tomorrow" if 1 in counts else "|today|hours" if 0 in counts else ""
    return f"(?:\\b(?:{'|'.join(words)}) (?:more |full )?days?\\b{extra})"
