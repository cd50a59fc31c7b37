"""What customers read, composed from data: the one place for the sentences the code writes.

Rasa's own responses (greetings, offers, questions) are in domain.yml; everything the
Python code says to a customer is here, as pure functions of plain values: a decision in the
customer's terms, what became of a refund, a case or a money movement, an account summary, a
live chat's start and end, and the one-time-code mail. (The rules' one-sentence explanation for
people reading a decision is bot/core/explanations.py's.)
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from bot.core.facts import feature_name, names_feature
from bot.core.formatting import Reader, day, listing, money, span
from bot.core.money import format_amount
from bot.core.refund_status import REFUND_TIME
from bot.core.statuses import CaseKind, CaseStatus, LedgerStatus, MovementKind


def _money(amount: int, currency: str) -> str:
    return format_amount(amount, currency)


def mismatch_note(*, amount: int | None, on: date | None, charge_amount: int, charge_date: date, currency: str,
                  reader: Reader = Reader(), now: datetime | None = None) -> str:
    """What the customer mentioned (an amount, a day or both) is not the payment the rules looked at."""
    said = " on ".join(part for part in (money(amount, currency, reader) if amount is not None else None,
                                         day(on, reader, now=now) if on else None) if part)
    return (f"You mentioned {said}, but the payment I looked at is {money(charge_amount, currency, reader)} on "
            f"{day(charge_date, reader, now=now)}, the latest on your account. If you meant a different payment, "
            "ask for a person and they will check it.")


# --- a decision, told to the customer (actions/refunds.py) -------------------------------

def decision_for_customer(result: Mapping, *, window_hours: int, reader: Reader, now: datetime,
                          asked_for_money: bool = True, reported: str | None = None) -> str:
    """The rules' decision in the customer's terms: their payment by amount and day, never an
    id; their money and dates as they write them. `result` is the plain form of a refund decision
    (bot/app/results.py, RefundDecision.as_json).
    A customer who only reported a problem (`asked_for_money` false) is not told what is not
    refunded: for R6 that leaves only a known issue, or nothing. A known issue their words
    (`reported`) don't name is told as one we know of, not as the cause of theirs."""
    rule, facts, currency = result["rule"], result.get("facts") or {}, result["currency"]

    def cash(amount: int) -> str:
        return money(amount, currency, reader)

    paid = ""
    if result.get("charge_amount") is not None:
        charged_on = day(date.fromisoformat(result['charge_date']), reader, now=now)
        paid = f"your payment of {cash(result['charge_amount'])} on {charged_on}"
    if rule == "R0":
        if not paid and facts.get("trial_end"):  # never charged: the trial is what there is
            trial_end = day(datetime.fromisoformat(facts['trial_end']), reader, now=now)
            return (f"You're still in your free trial until {trial_end}"
                    " and haven't been charged anything. If you cancel before then, you're never charged.")
        if not paid:
            return "There's no payment on your account, so there's nothing to refund."
        return f"{paid[0].upper()}{paid[1:]} has already been refunded, so there's nothing left to refund."
    if rule == "R1":
        return (f"{paid[0].upper()}{paid[1:]} was made less than {window_hours} hours ago, so you qualify for our "
                f"one-time late-cancellation refund: {cash(result['refund'])} back ({cash(result['fee'])} "
                "processing fee kept).")
    if rule == "R2":
        used = " You've already had the one-time late-cancellation refund, so" if facts.get("courtesy_already_used") \
            else " So"
        return (f"A refund for the unused part of {paid} is at our support team's discretion.{used} a person will "
                f"decide. The refund we've proposed is {cash(result['refund'])} ({cash(result['base'])} unused, "
                f"less a {cash(result['fee'])} processing fee); they decide the amount.")
    if rule == "R3":
        return (f"We can't refund {paid}: customers pay for access rather than use, and it was more than "
                f"{window_hours} hours ago.")
    if rule == "R4":
        return (f"We can't refund {paid}: keeping an eye on the subscription is the account owner's "
                f"responsibility, and it was more than {window_hours} hours ago.")
    if rule == "R5":
        over = " It has been fixed since." if facts.get("outage_over") else \
            " We're still working on it." if facts.get("ongoing_incidents") else ""
        return (f"A problem on our side affected your account for {span(int(facts.get('outage_seconds', 0)))} this "
                f"billing period.{over} We've proposed a credit of {cash(result['credit'])} towards your next invoice; "
                "a person from our team will decide.")
    if rule == "R6":
        ongoing = facts.get("ongoing_incidents") or []
        theirs = any(names_feature(feature, reported) for feature in ongoing) or reported is None
        said = [f"We know about a problem with {feature_names(ongoing, reader)} and are working on it." if theirs else
                f"We know of a problem with {feature_names(ongoing, reader)} right now, which may not be what you're "
                "seeing: the ticket makes sure our team looks at what you told me."] if ongoing else []
        if asked_for_money:
            said.append("Problems that aren't caused by a lasting outage on our side aren't refunded.")
        # The ticket itself is told just before (actions/refunds.py): this is what is known and the rule.
        return " ".join(said)
    if rule == "R8" and result.get("base", 0) == 0 and facts.get("period_end") and \
            datetime.fromisoformat(facts["period_end"]) > now:
        return f"There's nothing left of the period {paid} covered, so there's no refund."
    return (f"The period {paid} covered has ended, and fees aren't refundable once it has, so there's no "
            "refund. If you disagree, ask for a person and they will look at it.")


def feature_names(features: list[str], reader: Reader) -> str:
    """The product's feature keys ("post-scheduler") as a customer says them: "the post scheduler"."""
    return listing([f"the {feature_name(feature)}" for feature in features], reader)


# --- carrying out what the customer confirmed (bot/app/refunds.py, plan_changes.py) ---

REFUND_NOT_AUTOMATIC = "This decision does not pay a refund by itself."
OFFER_EXPIRED = ("That refund offer has expired, so I haven't changed anything. Ask me again and "
                 "I'll check your account afresh.")
OFFER_NO_LONGER_STANDS = ("Your account has changed since I made that offer, so I haven't cancelled or refunded "
                          "anything.")
UNKNOWN_PAYMENT = "That payment is not known to the payment processor."
CANCEL_AND_REFUND_WAITING = ("Our payment processor isn't answering right now, so I couldn't cancel and refund "
                             "yet. Nothing has been paid or charged twice: I'll finish it as soon as it's back "
                             "and tell you here.")
CANCEL_FAILED_NOTHING_REFUNDED = ("I couldn't cancel your subscription just now, so I haven't refunded anything "
                                  "either, and nothing on your account has changed.")
PLAN_QUOTE_OUTDATED = ("Your subscription has changed since I quoted that switch (another change, a cancellation "
                       "or a renewal came first), so I haven't changed anything.")
PERSON_FOLLOWS_UP = "A person from our team is looking into it and will reply here."  # a ticket is open for it


# The payment processor's ids (re_…) are for people and the ledger, not for customers: nothing a
# customer or their bank could do with one. A case's number is theirs to quote.
def refunded(amount: int, currency: str, reader: Reader = Reader()) -> str:
    return f"Done: I've refunded {money(amount, currency, reader)}. {REFUND_TIME}"


def refund_failed(amount: int, currency: str, canceled: bool, reader: Reader = Reader()) -> str:
    """The refund could not be made (why is for people, never for the customer)."""
    said = "Your subscription is cancelled, but the refund" if canceled else "The refund"
    return f"{said} of {money(amount, currency, reader)} couldn't be made just now."


def refund_sent_back(amount: int, currency: str, reader: Reader = Reader()) -> str:
    return (f"The refund of {money(amount, currency, reader)} was made but your bank sent it back. "
            "Our support team has a case open and will contact you to pay it another way.")


def refund_waiting(amount: int, currency: str, reader: Reader = Reader()) -> str:
    return (f"Our payment processor isn't answering right now. Your refund of {money(amount, currency, reader)} "
            "is recorded and will be paid once, as soon as it's back; I'll tell you here.")


# --- later news of a money movement (bot/billing/reconcile.py) --------------------------

def movement_update(kind: str, status: str, amount: int, currency: str, reader: Reader = Reader()) -> str:
    """What became of a movement that finished later; why one failed is for people, not customers."""
    cash = money(amount, currency, reader)
    what = {MovementKind.REFUND: f"your refund of {cash}", MovementKind.CREDIT: f"your credit of {cash}",
            MovementKind.CANCEL: "cancelling your subscription", MovementKind.PLAN_CHANGE: "your plan change"}[kind]
    if status == LedgerStatus.SUCCEEDED:
        return f"An update: {what} has now gone through."
    if status == LedgerStatus.REVERSED:
        return (f"An update: {what} was made, but your bank sent it back. Our support "
                "team has a ticket open and will contact you to pay it another way.")
    failed = CANCEL_FAILED_NOTHING_REFUNDED if kind == MovementKind.CANCEL else f"{what} couldn't be made."
    return f"An update: {failed} {PERSON_FOLLOWS_UP}"


# --- an agent's decision on a case (bot/app/case_decisions.py) --------------------------

SLACK_DECISION_NOTES = {"approve": "Our support team has approved your request.",
                        "deny": "Our support team reviewed your request against our refund policy and can't grant it."}


def case_outcome(*, case_id: int, status: str, kind: str, amount: int, currency: str, note: str,
                 movement_status: str | None) -> str:
    """What the customer hears about their case, in their currency and with the reason."""
    if status == CaseStatus.DENIED:
        return f"About case #{case_id}: our support team has looked at it and can't grant it. {note}"
    if status == CaseStatus.CLOSED:
        return f"About case #{case_id}: {note}"
    cash = money(amount, currency)
    what = "a refund" if kind == CaseKind.REFUND else "a credit towards your next invoice"
    if status == CaseStatus.FAILED or movement_status == LedgerStatus.FAILED:
        return (f"About case #{case_id}: our team approved {what} of {cash}, but it couldn't be made just now. "
                f"{PERSON_FOLLOWS_UP} {note}")
    done = "has been made" if movement_status == LedgerStatus.SUCCEEDED else "is on its way"
    return f"About case #{case_id}: {what} of {cash} {done}. {note}"


# --- live chat (bot/app/handoff.py) -------------------------------------------------------

def agent_joined(agent_name: str) -> str:
    return f"Hi, this is {agent_name} from the support team. I've read your conversation so far; how can I help?"


BACK_WITH_ASSISTANT = "You're back with the assistant. Ask me anything else, any time."
HANDLED_LIVE = "Handled in a live chat."
# Said when the records cannot say whether a person is already chatting (bot/ops/rasa_session.py):
# writing again asks them again.
HOLDING_BACK = ("I can't reach our records right now, so I'll hold back in case someone from our team is "
                "already chatting with you. If nobody has replied in a few minutes, please write again.")


# --- the customer's own account (bot/app/account.py) -----------------------------------

def account_summary(*, plan: str, price: int, currency: str, interval: str, status: str,
                    trial_end: datetime | None, cancel_at_period_end: bool, period_end: datetime,
                    last_payment: tuple[int, str, datetime, int] | None, reader: Reader, now: datetime) -> str:
    """One paragraph: plan, status, next and last payment. `plan` is its display name;
    `last_payment` is (amount, currency, when, refunded)."""
    price_text = money(price, currency, reader)
    parts = [f"You're on the {plan} plan at {price_text} a {interval}."]
    if status == "trialing" and trial_end:
        parts.append(f"Your free trial ends on {day(trial_end, reader, now=now)}; cancel before then and you are "
                     "never charged.")
    elif status == "canceled" or period_end <= now:
        parts.append("The subscription has ended and will not renew." if period_end <= now
                     else "The subscription is cancelled and will not renew.")
    elif cancel_at_period_end:
        parts.append(f"It is cancelled from {day(period_end, reader, now=now)} and will not renew; you keep access "
                     "until then.")
    else:
        parts.append(f"It renews on {day(period_end, reader, now=now)} for {price_text}.")
        if status == "past_due":
            parts.append("Your last payment failed; please update your card to keep access.")
    if last_payment:
        amount, paid_currency, when, refunded = last_payment
        back = f" ({money(refunded, paid_currency, reader)} refunded)" if refunded else ""
        parts.append(f"Your last payment was {money(amount, paid_currency, reader)} on "
                     f"{day(when, reader, now=now)}{back}.")
    return " ".join(parts)


NO_SUBSCRIPTION = "There is no subscription on this account."


def access_until(moment: datetime | None, reader: Reader, now: datetime) -> str:
    return day(moment, reader, now=now) if moment else "the end of the paid period"


# --- channels ---------------------------------------------------------------------------

ASSISTANT_UNREACHABLE = ("The assistant can't be reached right now. Your message wasn't sent; "
                         "please try again in a moment.")


def reply_with(choices: list[tuple[str, str]]) -> str:
    """An email's way to answer the assistant's buttons: (word to reply with, button title)."""
    return "Reply to this email with " + " or ".join(f"{word} ({title})" for word, title in choices) + "."


def email_signature(brand: str) -> str:
    return f"{brand} support assistant"


# What a customer asks to have done, as the words "ask me about ..." end with (bot/core/clauses.py).
REQUEST_NAMES = {"request_refund": "a refund", "late_cancellation": "a refund", "unused_account": "a refund",
                 "forgot_subscription": "a refund", "technical_problem": "the problem you mentioned",
                 "cancel_subscription": "cancelling", "change_plan": "changing your plan",
                 "undo_change": "undoing the plan change", "request_human": "talking to a person"}


def one_request_at_a_time(intents: list[str], reader: Reader = Reader()) -> str:
    """Said just before the one request of a message the assistant takes now, when the message
    asked for more (its further requests are not acted on)."""
    names = list(dict.fromkeys(REQUEST_NAMES.get(intent, "the rest") for intent in intents))
    return f"I'll take one request at a time: ask me about {listing(names, reader)} once we're done with this one."


# --- identification by code (bot/app/verification.py) ----------------------------------

def code_mail(brand: str, code: str, ttl_minutes: int) -> tuple[str, str]:
    """(subject, body) of the one-time code mail."""
    return (f"Your {brand} support code",
            f"Your code is {code}. It is valid for {ttl_minutes} minutes.\n\n"
            "If you did not ask for it, ignore this message.")


def code_limit(wait: timedelta) -> str:
    """Too many codes were asked for: when the customer can ask again, in whole minutes."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return ("I can't send another code to that address right now: too many were asked for in the last hour. "
            f"You can ask for a new one in {minutes} minute{'s' if minutes != 1 else ''}, or ask for a person.")


# --- the help widget (bot/web/widget, bot/app/chats.py) ---------------------------------

def widget_welcome(brand: str) -> str:
    return (f"Hi! I'm the {brand} assistant. Ask me about a refund, your plan, the free trial or "
            "cancelling, or pick a topic below. A person from the support team can join if you need one.")


# (button title, what pressing it sends): phrasings the assistant understands.
WIDGET_TOPICS = (("Get a refund", "I'd like a refund"), ("My plan", "What plan am I on?"),
                 ("Free trial", "How long is the free trial?"), ("Cancel", "I want to cancel my subscription"),
                 ("Talk to a person", "I'd like to talk to a person"))
RATING_QUESTION = "How did we do? Your rating helps the team."
RATING_OUT_OF_RANGE = "Choose from 1 to 5 stars."
RATING_NOT_ASKED = "There is nothing to rate in this conversation right now."
COPY_NEEDS_ADDRESS = ("I can email you a copy once you're signed in or have confirmed your email address "
                      "in this chat.")


def copy_sent(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"A copy of this conversation is on its way to {name[:1]}…@{domain}."


def transcript_mail(brand: str, lines: list[tuple[datetime | None, str, str]]) -> tuple[str, str]:
    """(subject, body) of a conversation's copy: (when, who, what) for each message."""
    body = "\n\n".join(f"{who}{f' ({when:%d %b %Y %H:%M} UTC)' if when else ''}:\n{text}" for when, who, text in lines)
    return f"Your conversation with {brand} support", f"Here is a copy of your conversation.\n\n{body}\n"


def follow_up_mail(brand: str, who: str, text: str) -> tuple[str, str]:
    """(subject, body) when a person answered in the chat after the customer had left."""
    return (f"{who} replied to you in the {brand} chat",
            f"{who} answered while you were away:\n\n{text}\n\n"
            "Open the help chat on our site to carry on the conversation; it is kept there for you.")


SUPPORT_TEAM = "Our support team"
COPY_FAILED = "I couldn't send the copy just now; please try again in a few minutes."
RATING_THANKS = "Thank you for your rating."
