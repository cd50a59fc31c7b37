"""Follow-up questions answered from what the conversation is about.

After a decision, an offer, a case or a terms answer, customers ask "when?", "why?",
"how much?" and "what happens now?". The actions keep what they last talked about as a
`topic` (plain values: a rule, amounts, days, a case number); `answer` puts the answer
for that topic and question in the customer's money and dates. Pure: no I/O, no clock.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from bot.core import facts
from bot.core.formatting import Reader, day, deadline, money
from bot.core.policy import Policy
from bot.core.refund_status import REFUND_TIME

QUESTIONS = ("when", "why", "how_much", "what_next")
WAIT_FOR_PERSON = ("You don't need to do anything else: the answer will be here, so you can close this chat and "
                   "come back.")

# (topic key, question) -> template. A topic key is "<kind>" or "<kind>:<detail>".
ANSWERS: dict[str, dict[str, str]] = {
    "decision:R0_trial": {
        "when": "Your free trial ends on {trial_end}. Cancel before then and you're never charged.",
        "why": "You haven't paid anything yet: the trial is free, so there's nothing to refund.",
        "how_much": "Nothing: you haven't been charged during the trial.",
        "what_next": "Nothing changes until {trial_end}: then the first payment is taken, unless you cancel before. "
                     "Say \"cancel my subscription\" if you'd like to."},
    "decision:R0": {
        "when": "There's nothing to wait for: there is no payment left to refund. " + REFUND_TIME,
        "why": "Your latest payment has already been refunded, or there is none, so there's nothing left to refund.",
        "how_much": "Nothing more: there's no payment left to refund.",
        "what_next": "Nothing else is needed from you."},
    "decision:R1": {
        "when": "As soon as you say yes: I cancel the subscription and refund straight away. " + REFUND_TIME,
        "why": "Your payment was made less than {window} hours ago, and our one-time late-cancellation refund is "
               "for exactly that. The {fee_percent}% processing fee is kept.",
        "how_much": "{refund}: your payment of {charge} less the {fee} processing fee.",
        "what_next": "If you say yes, your subscription ends now, access included, and {refund} goes back to your "
                     "card. If you say no, nothing changes and your subscription carries on."},
    "decision:R1_done": {
        "when": "{refund_when}",
        "why": "Your payment was made less than {window} hours ago, and our one-time late-cancellation refund is for "
               "exactly that. The {fee_percent}% processing fee is kept.",
        "how_much": "{refund}: your payment of {charge} less the {fee} processing fee.",
        "what_next": "Nothing else is needed from you: your subscription has ended, access included, and you won't "
                     "be charged again. " + REFUND_TIME},
    "decision:R2": {
        "when": "A person from our support team will decide by {due} and reply here.",
        "why": "Your payment was made more than {window} hours ago{courtesy}, so a refund for the unused part is up "
               "to our team rather than automatic.",
        "how_much": "We've proposed {refund}: the unused part of your payment ({base}) less a {fee} processing "
                    "fee. The team decides the amount.",
        "what_next": "Our team looks at case #{case_id} and replies here by {due}; if they approve, the refund goes "
                     "back to your card. " + WAIT_FOR_PERSON},
    "decision:R3": {
        "when": "There's no refund to wait for. Your access runs until {period_end}.",
        "why": "We charge for access rather than use, and your payment was more than {window} hours ago, so an "
               "unused account isn't refunded.",
        "how_much": "Nothing is refunded. If you stop the renewal, you're not charged again and keep access until "
                    "{period_end}.",
        "what_next": "Nothing changes unless you ask: I can stop the renewal so you're not charged again."},
    "decision:R4": {
        "when": "There's no refund to wait for. Your access runs until {period_end}.",
        "why": "Keeping track of the subscription is the account owner's responsibility, and your payment was more "
               "than {window} hours ago.",
        "how_much": "Nothing is refunded. If you stop the renewal, you're not charged again and keep access until "
                    "{period_end}.",
        "what_next": "Nothing changes unless you ask: I can stop the renewal so you're not charged again."},
    "decision:R5": {
        "when": "A person from our team will decide by {due}; an approved credit comes off your next invoice.",
        "why": "A problem on our side affected your account for a long time this period, so we can credit you for "
               "that time.",
        "how_much": "We've proposed {credit}, in proportion to how long the problem lasted. The team decides.",
        "what_next": "Our team looks at case #{case_id}, with the credit of {credit} we've proposed, and replies here "
                     "by {due}. " + WAIT_FOR_PERSON},
    "decision:R6": {
        "when": "Our technical team will reply here by {due}.",
        "why": "Only a lasting outage on our side earns a refund or a credit; this looks like something we can fix "
               "with you.",
        "how_much": "Nothing is refunded for this, but the ticket gets the problem looked at.",
        "what_next": "Try the troubleshooting steps above. Our technical team works on ticket #{case_id} and replies "
                     "here by {due}."},
    "decision:R8": {
        "when": "There's no refund to wait for.",
        "why": "Fees aren't refundable once the period they paid for has ended, or when nothing of it is left (our "
               "terms, section 4).",
        "how_much": "Nothing is refunded.",
        "what_next": "If you disagree, ask for a person and they'll look at it; otherwise nothing changes."},
    "cancel": {
        "when": "{cancel_when}",
        "why": "You've already paid for the current period, so stopping the renewal keeps your access until it "
               "ends.",
        "how_much": "Nothing more: you won't be charged again.",
        "what_next": "{cancel_next}"},
    "plan": {
        "when": "{plan_when}",
        "why": "{plan_why}",
        "how_much": "{plan_cost}",
        "what_next": "{plan_next}"},
    "case": {
        "when": "{case_when}",
        "why": "Our support team can look into your account and payments and decide what I can't, so a person "
               "has this conversation now.",
        "how_much": "Talking to a person costs nothing.",
        "what_next": "Case #{case_id} is with our team. " + WAIT_FOR_PERSON},
    "sign_in": {  # the assistant said how to be identified on a channel where no code can be sent
        "when": "{how}",
        "why": "An account's details and payments are for its owner only, and a code typed here could come "
               "from anyone: this chat can't tie a code to you.",
        "how_much": "Signing in costs nothing.",
        "what_next": "{how}"},
    "account": {
        "when": "{account_when}",
        "why": "{account_why}",
        "how_much": "{price} a {interval}.",
        "what_next": "{account_when} Nothing changes unless you ask: you can change plans or stop the renewal any "
                     "time."},
    "terms:free_trial": {
        "when": "The free trial lasts {trial_days} days from when you sign up; the first payment is taken when it "
                "ends.",
        "why": "So you can try everything before paying.",
        "how_much": "Nothing: the trial is free.",
        "what_next": "Cancel before the trial ends and you're never charged; otherwise the subscription starts."},
    "terms:refund_fee": {
        "when": "The fee is kept whenever a refund is made.",
        "why": "It covers the payment processing costs of taking and returning the money.",
        "how_much": "{fee_percent}% of the amount refunded.",
        "what_next": "Nothing: it comes off the refund itself, not a new charge."},
    "terms:billing_cycle": {
        "when": "At the start of each period, monthly or yearly. Ask \"when is my next payment?\" for your date.",
        "why": "Plans are billed in advance for the period ahead.",
        "how_much": "Your plan's price each period; ask \"what plan am I on?\" to see yours.",
        "what_next": "The plan renews automatically until you cancel."},
    "terms:failed_payment": {
        "when": "The payment is tried again once you update your card.",
        "why": "Your bank declined it; that happens with expired cards, limits or fraud checks.",
        "how_much": "The same amount as the failed payment: nothing extra.",
        "what_next": "Update your card in your account's billing settings; access may pause until it's paid."},
    "terms:export_data": {
        # "and how long do you keep it?" asks this too: the terms name no number of days (make run, 2026-12-07)
        "when": "Any time from your account settings, until your subscription ends. After that your data may be "
                "deleted after a reasonable period (our terms, section 9, name no number of days), so export it "
                "before then.",
        "why": "After the subscription ends, data may be deleted after a reasonable period.",
        "how_much": "Exporting costs nothing.",
        "what_next": "Open your account settings and choose the export; it downloads as a file."},
    "terms:cancel_terms": {
        "when": "You can cancel any time; access lasts until the end of the period you've paid for.",
        "why": "You've paid for the period in advance, so it runs to its end.",
        "how_much": "Nothing: cancelling is free and you won't be charged again.",
        "what_next": "Say \"cancel my subscription\" and I'll stop the renewal for you."},
}
NO_TOPIC = ("I'm not sure what that's about. I can help with refunds, your subscription, the free trial, fees, "
            "cancelling or changing plans, or pass you to a person.")


FIGURE = re.compile(r"\d+(?:[.,:]\d+)*")


def adds_nothing(answer_text: str, said: list[str]) -> bool:
    """Whether a follow-up's answer only repeats what was just said: every figure in it (a date,
    an amount, a count) is in `said`, the answers to the same message's earlier clauses. "My trial
    ends soon right? how many days": the trial's answer gave the date and the days left, and
    "Your free trial ends on December 11" after it adds nothing. An answer without figures is
    never taken for a repetition."""
    figures = set(FIGURE.findall(answer_text))
    return bool(figures) and figures <= set(FIGURE.findall(" ".join(said)))


def asked_about(question: str, topic: Mapping) -> Mapping:
    """The topic a follow-up asks about, when the conversation's topic carries an earlier one:
    - a renewal offered right after a refused refund: "why not?" and "how much?" are about the refund;
    - a renewal stop offered so that a person can review a refund (R2): "how much would I get?" is the
      refund proposed;
    - "why?" after a hypothetical refund or cancellation: the reasons of the decision or the cancellation;
    - where an outage stands, asked while its credit case is open: "do I get something for it?" and
      "how much?" are about the credit proposed, not the outage."""
    if topic.get("refused") and question in ("why", "how_much"):
        return topic["refused"]
    if topic.get("proposal") and question in ("why", "how_much"):  # R2 offered once cancelled: the refund's
        return topic["proposal"]
    if topic.get("kind") == "what_if" and question == "why":
        # A hypothetical refund about the real payment has the reasons of the decision it would be.
        if topic.get("about") == "refund" and topic.get("rule") and not topic.get("supposed"):
            return {**topic, "kind": "decision"}
        if topic.get("about") == "cancel":
            return {"kind": "cancel", "access_until": topic.get("period_end")}
    if topic.get("credit_case") and question in ("how_much", "what_next"):
        return topic["credit_case"]
    return topic


def answer(question: str, topic: Mapping | None, *, policy: Policy, reader: Reader, now: datetime) -> str:
    topic = asked_about(question, topic) if topic else None
    own = facts.follow_up(question, topic, reader=reader, now=now) if topic else None
    if own:  # a topic of the customer's own facts or a hypothetical (issue 28, classes 4 and 5)
        return own
    template = ANSWERS.get(topic_key(topic) if topic else "", {}).get(question)
    if template is None:
        return NO_TOPIC
    return template.format_map(_values(topic, policy, reader, now))


def topic_key(topic: Mapping) -> str:
    kind = topic.get("kind")
    if kind == "decision":
        rule = topic.get("rule")
        if rule == "R1" and topic.get("done"):
            return "decision:R1_done"
        return "decision:R0_trial" if rule == "R0" and topic.get("trial_end") else f"decision:{rule}"
    if kind == "terms":
        return f"terms:{topic.get('topic')}"
    return str(kind)


def _values(topic: Mapping, policy: Policy, reader: Reader, now: datetime) -> dict:
    currency = topic.get("currency") or "usd"

    def cash(key: str) -> str:
        return money(int(topic.get(key) or 0), currency, reader)

    def on(key: str) -> str:
        value = topic.get(key)
        return day(_moment(value), reader, now=now) if value else "the end of the paid period"

    due = deadline(_moment(topic["case_due"]), reader, now=now) if topic.get("case_due") else "soon"
    values = {"window": policy.late_cancel_window_hours, "fee_percent": policy.fee_percent_text,
              "trial_days": policy.trial_days, "trial_end": on("trial_end"), "period_end": on("period_end"),
              "access_until": on("access_until"), "due": due, "case_id": topic.get("case_id", ""),
              "refund": cash("refund"), "fee": cash("fee"), "base": cash("base"), "credit": cash("credit"),
              "charge": cash("charge_amount"), "price": cash("price"), "interval": topic.get("interval", "period"),
              "courtesy": " and the one-time late-cancellation refund was already used"
                          if topic.get("courtesy_used") else "",
              "plan": topic.get("plan", "the new plan"), "next_invoice": cash("next_invoice"),
              "how": topic.get("how", "")}
    # No access_until: the subscription has ended (an R1 refund ends access at once), nothing runs on.
    ended = not topic.get("access_until")
    ended_on = (topic.get("refused") or {}).get("period_end")  # a refusal because the period is over (R8)
    values["cancel_when"] = _cancel_when(topic, values["access_until"], policy,
                                         day(_moment(ended_on), reader, now=now) if ended_on else None)
    values["cancel_next"] = ("Nothing else: your subscription has ended and you won't be charged again." if ended else
                             f"Nothing else: you keep access until {values['access_until']} and won't be charged "
                             "again." if topic.get("done") else
                             f"If you say yes, your subscription won't renew and you keep access until "
                             f"{values['access_until']}. If you say no, nothing changes.")
    values["refund_when"] = (f"It's on its way now. {REFUND_TIME}" if topic.get("paid") else
                             "As soon as our payment processor answers again; I'll tell you here. " + REFUND_TIME)
    values.update(_plan_change(topic, values["next_invoice"], values["interval"], currency, reader))
    values["plan_next"] = (f"You're on {values['plan']} now; you can switch back any time." if topic.get("done") else
                           f"If you say yes I switch you to {values['plan']} straight away; if you say no, nothing "
                           "changes.")
    opening = topic.get("next_opening")
    values["case_when"] = {"live": "Someone from our support team will join this chat shortly.",
                           "after_hours": "Our support team is back "
                                          f"{deadline(_moment(opening), reader, now=now) if opening else 'soon'}, "
                                          "and they'll reply here then."}.get(
        topic.get("handoff"), f"A person will reply here by {due}.")
    paid = topic.get("last_charge")  # "why was I charged this month?" (ivy, make run 2026-12-07): that payment
    renews = "renew automatically until you cancel" if topic.get("renews") else \
        f"yours won't renew again: you keep access until {values['period_end']}"
    values["account_why"] = (
        f"That was your payment of {money(int(paid['amount']), currency, reader)} on "
        f"{day(_moment(paid['on']), reader, now=now)} for {topic.get('plan') or 'your plan'}: plans are billed in "
        f"advance for the {topic.get('interval', 'period')} ahead, and {renews}. If you didn't mean to keep it, "
        "tell me what happened and I'll check what our policy allows." if paid else
        "Plans are billed in advance and renew automatically until you cancel.")
    values["account_when"] = (
        f"Your subscription renews on {values['period_end']}." if topic.get("renews") else
        f"Your access runs until {values['period_end']}; it won't renew." if topic.get("period_end") else
        "Your subscription has ended: it won't renew or charge you again.")
    return values


def _cancel_when(topic: Mapping, access_until: str, policy: Policy, ended_on: str | None = None) -> str:
    """When a renewal stop takes effect: said as done only once it is."""
    if not topic.get("access_until"):  # the subscription has ended (an R1 refund ends access at once)
        if ended_on:  # "when did my access end?" (hal, make run 2026-12-07): the day, not only that it has
            return f"Your subscription ended on {ended_on}, with the period you'd paid for, and you won't be " \
                   "charged again."
        return "Your subscription has already ended, and you won't be charged again."
    if topic.get("done"):
        return f"Your access ends on {access_until}, and you won't be charged again."
    if topic.get("review"):  # R2: a person looks at the refund once the renewal is stopped
        return (f"Once you stop the renewal, a person from our team looks at the refund and replies here within "
                f"{policy.review_response_hours} hours. Until then nothing has changed.")
    return (f"Nothing has changed yet: if you stop the renewal, your access runs until {access_until} and you won't "
            "be charged again.")


def _plan_change(topic: Mapping, next_invoice: str, interval: str, currency: str, reader: Reader) -> dict:
    """What a plan change costs, when and why, by how Stripe bills it: within a period the proration
    waits for the next invoice; another interval is a new period, billed at once."""
    direction = topic.get("direction")
    amount = money(abs(int(topic.get("prorated") or 0)), currency, reader)
    left = int(topic.get("left_as_credit") or 0)
    cost = {
        "charge": f"{amount} for the rest of this period, added to your next invoice: {next_invoice} in all.",
        "credit": f"A credit of {amount} for the rest of this period, taken off your next invoice: {next_invoice} in "
                  "all.",
        "new_period": f"{next_invoice} now, for a new {interval} starting today: the unused part of your current "
                      f"plan, {amount}, is already taken off." +
                      (f" The {money(left, currency, reader)} left over stays as credit for your next invoices."
                       if left else "")}.get(
        direction, f"Nothing for this period; {next_invoice} on your next invoice.")
    why = {
        "new_period": "Another billing interval starts a new period, and what you haven't used of your current plan is "
                      "credited against it, so you pay only for what you have.",
        # a trial's switch: nothing paid is left in this period to prorate (make run, 2026-12-07)
        "none": "Nothing you've paid covers the rest of this period (a free trial, say), so there's nothing to charge "
                "or credit now: the new plan's price is simply what your next invoice charges."}.get(
        direction, "Changes are charged or credited pro rata for the rest of the period, so you pay only for what you "
                   "have.")
    when = {
        "new_period": "Straight away once you say yes, and the new period is billed then.",
        "charge": "The switch is straight away once you say yes; the prorated amount is added to your next invoice, "
                  "so nothing is charged today.",
        "credit": "The switch is straight away once you say yes; the credit comes off your next invoice."}.get(
        direction, "The switch is straight away once you say yes, and nothing is charged today: your next invoice "
                   "has the new price.")
    return {"plan_cost": cost, "plan_why": why, "plan_when": when}


def _moment(value) -> date | datetime:
    if isinstance(value, (date, datetime)):
        return value
    return datetime.fromisoformat(str(value))
