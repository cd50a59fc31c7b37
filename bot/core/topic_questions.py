"""A question about what the conversation is on, told from a new request and answered.

Design (issue 28, class 1): rather than more global intents competing with every other one, a
follow-up is recognised in context. While the conversation has a topic (the `topic` slot the
actions keep), a message is a question about it when the model reads it as one of the four
follow-up intents, or when the model reads it as no request at all (its fallback, out of scope,
small talk) and its question words name one of bot/core/asking.py's kinds. Without a topic it is
an ordinary message. The question words also sharpen the model's reading: "has anyone looked at
it?" read as "when?" asks where the case stands.

The answers for two kinds live here (the rest are bot/core/topic_answers.py's table): where a case
stands, from its state in the database, and why a person decides rather than the assistant.
Pure: facts in, words out.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from bot.core.asking import asks, follow_up_kind
from bot.core.conversation_ids import EMAIL, SLACK
from bot.core.formatting import Reader, day, deadline, money
from bot.core.messages import feature_names
from bot.core.policy import Policy
from bot.core.refund_status import REFUND_DAYS, REFUND_TIME

INTENT_QUESTIONS = {"ask_when": "when", "ask_why": "why", "ask_how_much": "how_much", "ask_what_next": "what_next"}
# The model's readings that request nothing: a question about the topic may hide behind them.
NO_REQUEST = frozenset({"nlu_fallback", "out_of_scope", "chitchat"})
SHORT = 8  # words: "and what would I get for that?" leans on what was said; a long message says its subject
# The kinds the general table has no column for, and the column that answers them when the topic
# has no answer of its own: where things stand (or what a no would mean) is what happens next; why a
# person decides is why; whether more is charged is how much.
STAND_INS = {"paid_to": "what_next", "status": "what_next", "who_decides": "why", "decide_later": "what_next",
             "come_back": "what_next", "if_declined": "what_next",
             "charged_again": "how_much", "access": "when", "how_told": "what_next", "charged_on": "when"}

# With no topic, "how many days do I have left?" or "what will I pay after?" asks about the
# customer's own trial or plan (a visitor is asked who they are first); "when does it end?" names
# no one and still needs its subject.
OWN_QUESTIONS = ("when", "how_much", "why")
# "Why was I charged this month?": a why about oneself is about the account only when it names a payment
ABOUT_A_PAYMENT = re.compile(r"\b(charg\w*|bill(ed|ing)?|paid|pay|payments?|debit\w*|took|taken)\b", re.IGNORECASE)
ABOUT_THE_ACCOUNT = re.compile(r"\b(bill(ed|ing)?|charged?|pay|paid|payments?|trial|plan|subscription|renew\w*|"
                               r"left|remaining)\b", re.IGNORECASE)
ABOUT_ONESELF = re.compile(r"\b(i|i'm|im|i've|i'll|me|my|mine|we|our|us)\b", re.IGNORECASE)


def asks_about_oneself(question: str, text: str | None) -> bool:
    """Whether a question asked with no topic is about the customer's own account."""
    return question in OWN_QUESTIONS and bool(ABOUT_ONESELF.search(text or "")) and \
        (question != "why" or bool(ABOUT_A_PAYMENT.search(text or "")))


def topic_question(intent: str | None, text: str | None, *, has_topic: bool) -> str | None:
    """Which question about the topic the message asks, or None when it asks none (a new
    request, an answer, small talk, or, while there is no topic, anything but a when or how-much
    question about the customer's own account)."""
    kind = follow_up_kind(text)
    if intent in INTENT_QUESTIONS:
        return kind or INTENT_QUESTIONS[intent]
    if intent not in NO_REQUEST or kind is None:
        return None
    if not has_topic:  # "how many days are left before I get billed?", not understood: their own trial or plan
        own = intent == "nlu_fallback" and asks_about_oneself(kind, text) and ABOUT_THE_ACCOUNT.search(text or "")
        return kind if own and asks(text) else None
    return kind if asks(text) or len((text or "").split()) <= SHORT else None


def case_of(topic: Mapping | None) -> int | None:
    """The case the topic is about, if any (a review, a ticket, a person asked for)."""
    topic = topic or {}
    return topic.get("case_id") or (topic.get("refused") or {}).get("case_id") or None


WHO_DECIDES = {
    "R2": "I'm not allowed to: a refund for part of a period, after the first {window} hours, is at our team's "
          "discretion, so a person has to decide it. The only refund I can make myself is the one-time refund of a "
          "payment taken in the last {window} hours.",
    "R5": "I'm not allowed to: a credit for an outage is at our team's discretion, so a person checks how the "
          "problem affected your account and decides it.",
    "R6": "Fixing it is for our technical team: they can see what went wrong on your account, which I can't.",
}
# An outage asked about, nothing asked for yet: "why can't you decide it?" is about the credit.
WHO_DECIDES_OUTAGE = ("A credit for an outage isn't mine to give: it's at our team's discretion, so a person "
                      "decides it. Nothing has been asked for yet; if the outage kept you from working, tell me and "
                      "I'll pass it to them with what our rules allow.")
WHO_DECIDES_CASE = ("I can't decide this one myself: it's with our support team, and it's theirs to answer. They "
                    "see everything you've written here.")


def who_decides(topic: Mapping, policy: Policy, reader: Reader, now: datetime,
                state: Mapping | None = None) -> str | None:
    """Why a person decides and not the assistant, with the case they are deciding; None when
    nothing in the topic waits for a person (then "why?" answers)."""
    decided = topic.get("refused") or topic.get("proposal") or topic
    template = WHO_DECIDES.get(decided.get("rule")) if decided.get("kind") == "decision" else \
        WHO_DECIDES_CASE if topic.get("kind") == "case" else \
        WHO_DECIDES_OUTAGE if topic.get("kind") == "incident" and not topic.get("credit_case") else None
    if template is None:
        return None
    said = template.format(window=policy.late_cancel_window_hours)
    if state is not None:
        due = deadline(_moment(state["due"]), reader, now=now)
        said += f" Your case #{state['case_id']} is with them, and they'll reply here by {due}."
    return said


IF_DECLINED = {
    "R2": "If our team decides against a refund, they'll say why here, and your payment stays as it is: nothing "
          "else is charged or changed. If you disagree, you can reply to them in this conversation.",
    "R5": "If our team decides against a credit, they'll say why here, and your next invoice is the usual amount: "
          "nothing else changes. If you disagree, you can reply to them in this conversation.",
}
IF_DECLINED_CASE = ("If our team can't do what you asked, they'll say why here, and nothing changes on your account "
                    "because of it. If you disagree, you can reply to them in this conversation.")


ACCESS_WHILE_DECIDED = "Yes: nothing changes on your account while our team looks at it, so your access stays as it is."


def access_meanwhile(topic: Mapping) -> str | None:
    """"Can I still use it meanwhile?" while a person looks at a case: nothing changes until they
    decide. None otherwise: a cancellation, refund or trial answers it with its dates ("when")."""
    if topic.get("kind") in ("cancel", "trial", "what_if") or not case_of(topic):
        return None
    return ACCESS_WHILE_DECIDED


def if_declined(topic: Mapping) -> str | None:
    """"What if they say no?" while a person decides: what a no would mean; None when no case waits
    (then it is asked as "what happens next")."""
    decided = topic.get("credit_case") or topic.get("refused") or topic
    if not (decided.get("case_id") or case_of(topic)):
        return None
    rule = decided.get("rule") if decided.get("kind") == "decision" else None
    return IF_DECLINED.get(rule, IF_DECLINED_CASE)


def charged_on(topic: Mapping, reader: Reader, now: datetime) -> str | None:
    """"What day did you charge me?" about the payment a refund decision is on: its day and amount.
    None when the topic holds no payment (then "when" answers it)."""
    decided = topic.get("refused") or topic
    if not decided.get("charge_date") or decided.get("charge_amount") is None:
        return None
    taken = day(date.fromisoformat(str(decided["charge_date"])[:10]), reader, now=now)
    return f"That payment of {money(decided['charge_amount'], decided.get('currency') or 'usd', reader)} was " \
           f"taken on {taken}."


# Where a person's answer reaches the customer, by the channel they wrote on (bot/notify: a web chat
# closed when it comes is followed by an email to the address proven in it).
TOLD_BY_MAIL = "Yes: our team's answer comes as a reply to this email."
TOLD_IN_SLACK = "Our team's answer comes here, in this Slack conversation."
TOLD_IN_CHAT = "Our team's answer comes here, in this conversation. If this chat isn't open when it does, " \
               "we'll email it to you at {email}."
TOLD_IN_CHAT_NO_ADDRESS = "Our team's answer comes here, in this conversation."


def how_told(topic: Mapping, channel: str, email: str | None) -> str | None:
    """"Will I get an email about this?" while a person decides; None when no case waits (then what
    happens next answers it)."""
    if not case_of(topic):
        return None
    if channel == EMAIL:
        return TOLD_BY_MAIL
    if channel == SLACK:
        return TOLD_IN_SLACK
    return TOLD_IN_CHAT.format(email=email) if email else TOLD_IN_CHAT_NO_ADDRESS


CHARGED_AGAIN = {
    "R1": "Not if you say yes: your subscription ends now, so nothing more is charged. If you say no, it renews as "
          "usual.",
    "R1_done": "No: your subscription has ended, so you won't be charged again.",
}


def charged_again(topic: Mapping) -> str | None:
    """"Will anything else be charged?" where a refund offered or made decides it (R1); None where the
    subscription's own answer does (`about_the_subscription`)."""
    if topic.get("kind") == "decision" and topic.get("rule") == "R1":
        return CHARGED_AGAIN["R1_done" if topic.get("done") else "R1"]
    return None


def about_the_subscription(topic: Mapping) -> Mapping:
    """The topic a question about further charges is asked of: a renewal offered or stopped after a
    refusal answers it itself, not the refund refused."""
    return {key: value for key, value in topic.items() if key != "refused"} if topic.get("kind") == "cancel" else topic


def decide_later(topic: Mapping, *, window_hours: int, reader: Reader, now: datetime) -> str:
    """"Can I think about it and come back later?" while an offer waits for a yes: it can, and what
    waiting would cost (the one-time refund's window closes; the next renewal comes)."""
    waits = "Of course: nothing changes until you say yes."
    if topic.get("kind") == "decision" and topic.get("rule") == "R1" and topic.get("charged_at"):
        closes = deadline(_moment(topic["charged_at"]) + timedelta(hours=window_hours), reader, now=now)
        return (f"{waits} The one-time late-cancellation refund is there until {closes}, {window_hours} hours after "
                "your payment; after that it no longer applies. Ask me again before then.")
    if topic.get("kind") == "cancel" and topic.get("access_until"):
        return (f"{waits} You can cancel any time; to stop the next payment, do it before "
                f"{day(_moment(topic['access_until']), reader, now=now)}.")
    if topic.get("kind") == "plan":
        return f"{waits} I can't schedule a switch for later, so ask me again when you're ready, and I'll quote it " \
               "for that day."
    return f"{waits} Ask me again whenever you're ready."


def come_back(topic: Mapping) -> str:
    """Whether the way stays open: switching plans again later, or signing up again."""
    decided = topic.get("refused") or topic
    if topic.get("kind") == "plan":
        return ("Yes: you can change plans at any time, so you can switch back later; the difference is charged or "
                "credited pro rata then too.")
    if decided.get("rule") == "R1":
        return ("Yes, you can start a new subscription whenever you like. The one-time late-cancellation refund is "
                "once per account, though, so it wouldn't apply a second time.")
    return "Yes, you can start a new subscription whenever you like; nothing here stops you coming back."


def fee_kept(refund: Mapping, policy: Policy, reader: Reader, now: datetime) -> str:
    """"How much did you keep?" about the customer's own latest refund."""
    currency = refund["currency"]
    return (f"Of your payment of {money(refund['charge_amount'], currency, reader)} on "
            f"{day(_moment(refund['charged_on']), reader, now=now)}, {money(refund['refunded'], currency, reader)} "
            f"came back to you and {money(refund['kept'], currency, reader)} was kept: our "
            f"{policy.fee_percent_text}% processing fee.")


def known_issue(topic: Mapping, policy: Policy, reader: Reader) -> str | None:
    """"Is it on your end or ours?" (or "why no refund?") after a ticket, when a known incident explains it."""
    ongoing = topic.get("ongoing") or []
    if topic.get("rule") != "R6" or not ongoing:
        return None
    return (f"It looks like it's on our side: there's a known, ongoing problem with {feature_names(ongoing, reader)}, "
            f"and our team is working on it. A refund or credit comes with an outage of {policy.extended_outage_hours} "
            "hours or more, and this one has been shorter so far; your ticket makes sure someone checks your account.")


def _moment(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


REFUND_TO_THE_CARD = f"Back to the card you paid with, as money, not as credit on your account. {REFUND_TIME}"
CREDIT_ON_THE_INVOICE = "As credit on your account: it comes off your next invoice, not back to your card."


def paid_to(topic: Mapping | None) -> str:
    """Where money given back goes: a refund to the card paid with, an outage's credit off the next
    invoice; with neither talked about, both."""
    topic = topic or {}
    decided = topic.get("credit_case") or topic.get("refused") or topic
    if decided.get("rule") == "R5" or decided.get("credit") or topic.get("kind") == "incident":
        return CREDIT_ON_THE_INVOICE
    if decided.get("refund") or decided.get("rule") in ("R1", "R2", "R7") or topic.get("kind") == "case":
        return REFUND_TO_THE_CARD
    return (f"A refund goes back to the card you paid with (usually within {REFUND_DAYS}); a credit for an "
            "outage comes off your next invoice instead.")

