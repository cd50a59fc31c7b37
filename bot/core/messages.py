"""What customers read, composed from data: the one place for the sentences the code writes.

Rasa's own responses (greetings, offers, questions) are in domain.yml; everything the
Python code says to a customer is here, as pure functions of plain values: the rules'
explanations (the contract's `explanation`), what became of a refund, a case or a money
movement, an account summary, a live chat's start and end, and the one-time-code mail.
"""
from __future__ import annotations

from datetime import date, datetime

from bot.core.money import format_amount
from bot.core.statuses import CaseKind, CaseStatus, LedgerStatus, MovementKind


def _money(amount: int, currency: str) -> str:
    return format_amount(amount, currency)


def _day(moment: date | datetime) -> str:
    return f"{moment:%d %B %Y}"


# --- the rules' explanations (bot/core/rules.py) ---------------------------------------

def explain_trial(trial_end: datetime) -> str:
    return (f"The account is still in its free trial until {trial_end:%Y-%m-%d %H:%M} UTC "
            "and has never been charged; cancelling before then means it is never charged.")


NO_PAYMENT = "There is no payment on this account, so there is nothing to refund."


def explain_already_refunded(charge_id: str, amount: int, currency: str) -> str:
    return (f"The latest payment {charge_id} of {_money(amount, currency)} "
            "has already been refunded, so there is nothing left to refund.")


def explain_courtesy(charge_id: str, base: int, fee: int, refund: int, currency: str, window_hours: int) -> str:
    return (f"Payment {charge_id} of {_money(base, currency)} was made within "
            f"{window_hours} hours, so it qualifies for the one-time "
            f"late-cancellation refund of {_money(refund, currency)} "
            f"({_money(fee, currency)} processing fee kept), and the "
            "subscription ends now.")


def explain_prorated(charge_id: str, base: int, fee: int, refund: int, currency: str, courtesy_used: bool) -> str:
    return (f"A prorated refund of {_money(refund, currency)} for payment {charge_id} "
            f"({_money(base, currency)} unused less a {_money(fee, currency)} "
            "fee) is at the company's discretion, so a support agent will decide"
            + (" (the one-time late-cancellation refund was already used)." if courtesy_used else "."))


def explain_period_over() -> str:
    return ("The period paid for has ended and fees are non-refundable (terms section 4), "
            "so there is no refund; a person can look at it if you disagree.")


NOTHING_LEFT_TO_PRORATE = "Nothing of the paid period is left to prorate, so there is no refund."


def explain_unused(window_hours: int) -> str:
    return ("Customers pay for access, not usage, so an unused account is not refunded "
            f"outside the {window_hours} h window; the subscription can be cancelled at period end.")


def explain_forgotten(window_hours: int) -> str:
    return ("Monitoring the subscription is the account owner's responsibility, so a "
            f"forgotten subscription is not refunded outside the {window_hours} h window; it can "
            "be cancelled at period end.")


def explain_outage_credit(hours: int, credit: int, currency: str) -> str:
    return (f"A platform incident affected this account for about {hours} hours in the "
            f"current period, so a credit of {_money(credit, currency)} towards the next "
            "invoice is proposed; a support agent will decide.")


def explain_ticket(ongoing_features: list[str]) -> str:
    known = f" A known issue with {', '.join(ongoing_features)} is being worked on." if ongoing_features else ""
    return ("Problems that are not caused by a lasting platform outage are not refunded; "
            "we will help troubleshoot and open a ticket for the technical team." + known)


def mismatch_note(said: str, charge_amount: int, charge_date: date, currency: str) -> str:
    """What the customer mentioned (`said`) is not the payment the rules looked at."""
    return (f"You mentioned {said}, but the payment I looked at is "
            f"{_money(charge_amount, currency)} on {charge_date.day} {charge_date:%B %Y}, "
            "the latest on your account. If you meant a different payment, ask for a person "
            "and they will check it.")


# --- carrying out a refund the customer confirmed (bot/app/refunds.py) -----------------

REFUND_NOT_AUTOMATIC = "This decision does not pay a refund by itself."
OFFER_EXPIRED = ("That refund offer has expired, so I haven't changed anything. Ask me again and "
                 "I'll check your account afresh.")
CANCELLATION_NEEDED = "The refund needs the subscription to be cancelled, so nothing was changed."
UNKNOWN_PAYMENT = "That payment is not known to the payment processor."
CANCEL_AND_REFUND_WAITING = ("Our payment processor isn't answering right now, so I couldn't cancel and refund "
                             "yet. Nothing has been paid or charged twice: I'll finish it as soon as it's back "
                             "and tell you here.")


def refund_refused(reason: str) -> str:
    return f"The refund was refused: {reason}."


def refunded(amount: int, currency: str, refund_id: str | None) -> str:
    return f"Refunded {_money(amount, currency)} (refund {refund_id})."


def refund_failed(error: str | None) -> str:
    return f"The refund could not be made: {error}"


def refund_sent_back(amount: int, currency: str) -> str:
    return (f"The refund of {_money(amount, currency)} was made but your bank sent it back. "
            "Our support team has a case open and will contact you to pay it another way.")


def refund_waiting(amount: int, currency: str) -> str:
    return (f"Our payment processor isn't answering right now. Your refund of {_money(amount, currency)} "
            "is recorded and will be paid once, as soon as it's back; I'll tell you here.")


# --- later news of a money movement (bot/billing/reconcile.py) --------------------------

def movement_update(kind: str, status: str, amount: int, currency: str, stripe_id: str | None,
                    error: str | None) -> str:
    money = _money(amount, currency)
    what = {MovementKind.REFUND: f"your refund of {money}", MovementKind.CREDIT: f"your credit of {money}",
            MovementKind.CANCEL: "cancelling your subscription", MovementKind.PLAN_CHANGE: "your plan change"}[kind]
    if status == LedgerStatus.SUCCEEDED:
        ref = f" (reference {stripe_id})" if stripe_id else ""
        return f"An update: {what} has now gone through{ref}."
    if status == LedgerStatus.REVERSED:
        return (f"An update: {what} was made, but your bank sent it back ({error}). Our support "
                "team has a ticket open and will contact you to pay it another way.")
    return f"An update: {what} could not be made ({error}). Our support team will follow up."


# --- an agent's decision on a case (bot/app/case_decisions.py) --------------------------

SLACK_DECISION_NOTES = {"approve": "Our support team has approved your request.",
                        "deny": "Our support team reviewed your request against our refund policy and can't grant it."}


def case_outcome(*, case_id: int, status: str, kind: str, amount: int, currency: str, note: str,
                 movement_status: str | None, stripe_id: str | None, error: str | None) -> str:
    """What the customer hears about their case, in their currency and with the reason."""
    if status == CaseStatus.DENIED:
        return f"About case #{case_id}: our support team has looked at it and can't grant it. {note}"
    if status == CaseStatus.CLOSED:
        return f"About case #{case_id}: {note}"
    money = _money(amount, currency)
    what = "a refund" if kind == CaseKind.REFUND else "a credit towards your next invoice"
    if movement_status == LedgerStatus.FAILED:
        return (f"About case #{case_id}: {what} of {money} was approved, but it could not be "
                f"made ({error}). Our team will follow up. {note}")
    done = "has been made" if movement_status == LedgerStatus.SUCCEEDED else "is on its way"
    ref = f" (reference {stripe_id})" if stripe_id else ""
    return f"About case #{case_id}: {what} of {money} {done}{ref}. {note}"


# --- live chat (bot/app/handoff.py) -------------------------------------------------------

def agent_joined(agent_name: str) -> str:
    return f"Hi, this is {agent_name} from the support team. I've read your conversation so far; how can I help?"


BACK_WITH_ASSISTANT = "You're back with the assistant. Ask me anything else, any time."
HANDLED_LIVE = "Handled in a live chat."


# --- the customer's own account (bot/app/account.py) -----------------------------------

def account_summary(*, plan: str, price: int, currency: str, interval: str, status: str,
                    trial_end: datetime | None, cancel_at_period_end: bool, period_end: datetime,
                    last_payment: tuple[int, str, datetime, int] | None) -> str:
    """One paragraph: plan, status, next and last payment. `last_payment` is
    (amount, currency, when, refunded)."""
    money = _money(price, currency)
    parts = [f"You're on the {plan} plan at {money} a {interval}."]
    if status == "trialing" and trial_end:
        parts.append(f"Your free trial ends on {_day(trial_end)}; cancel before then and you are never charged.")
    elif status == "canceled":
        parts.append("The subscription is cancelled and will not renew.")
    elif cancel_at_period_end:
        parts.append(f"It is cancelled from {_day(period_end)} and will not renew; you keep access until then.")
    else:
        parts.append(f"It renews on {_day(period_end)} for {money}.")
        if status == "past_due":
            parts.append("Your last payment failed; please update your card to keep access.")
    if last_payment:
        amount, paid_currency, when, refunded = last_payment
        back = f" ({_money(refunded, paid_currency)} refunded)" if refunded else ""
        parts.append(f"Your last payment was {_money(amount, paid_currency)} on {_day(when)}{back}.")
    return " ".join(parts)


NO_SUBSCRIPTION = "There is no subscription on this account."


def access_until(day: date | None) -> str:
    return _day(day) if day else "the end of the paid period"


# --- channels ---------------------------------------------------------------------------

ASSISTANT_UNREACHABLE = ("The assistant can't be reached right now. Your message wasn't sent; "
                         "please try again in a moment.")


def reply_with(choices: list[tuple[str, str]]) -> str:
    """An email's way to answer the assistant's buttons: (word to reply with, button title)."""
    return "Reply to this email with " + " or ".join(f"{word} ({title})" for word, title in choices) + "."


def email_signature(brand: str) -> str:
    return f"{brand} support assistant"


# --- identification by code (bot/app/verification.py) ----------------------------------

def code_mail(brand: str, code: str, ttl_minutes: int) -> tuple[str, str]:
    """(subject, body) of the one-time code mail."""
    return (f"Your {brand} support code",
            f"Your code is {code}. It is valid for {ttl_minutes} minutes.\n\n"
            "If you did not ask for it, ignore this message.")


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
