"""What would happen if (issue 28, class 5): "I'm not cancelling, I just want to know whether I'd
get anything back if I did", told in conditional words from the same rules and facts a request
would be decided on. Nothing here records or moves anything: the answer is words, and a topic
for the follow-ups ("how long do I have?").

What the hypothetical is about is read by bot/core/supposing.py; the sentences here take a refund
decision of the pure rules (bot/core/rules.py), the subscription, or a plan move priced as the
switch would prorate it. A hypothetical the customer dates ("say I'd been charged a week ago") is
decided on the account with that payment moved to then (`with_charge_at`). Pure: no I/O, no clock.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import rules
from bot.core.domain import Account, Decision, Subscription
from bot.core.formatting import Reader, day, deadline, money
from bot.core.plan_quotes import in_trial, proration, starts_new_period
from bot.core.plans import Plan
from bot.core.timeutil import parse_utc

OUTAGE_IF = ("If an outage kept you from using a feature for an extended period, you wouldn't just lose out: we "
             "may offer a credit on your next invoice, which our team decides case by case. If something isn't "
             "working for you right now, tell me what and I'll look into it.")
UNPAID_IN_GENERAL = ("If a payment failed, you'd be asked to update your card in your billing settings and it would be "
                     "retried; while it stays unpaid, our terms (section 3) let us suspend or end access to the "
                     "service. Cancelling instead stops the renewal, and you keep access to the end of the period "
                     "you've paid for.")


def with_charge_at(account: Account, moment: datetime, now: datetime) -> Account:
    """The account as if its latest payment had been made at `moment` (nothing refunded of it)."""
    latest = rules.latest_charge(account.charges, now)
    if latest is None:
        return account
    moved = replace(latest, created=moment, refunded=0)
    return replace(account, charges=tuple(moved if c is latest else c for c in account.charges),
                   refunds=tuple(r for r in account.refunds if r.charge_id != latest.id))


def refund_if(decision: Decision, sub: Subscription | None, *, window_hours: int, reader: Reader,
              now: datetime, supposed: bool = False, asked: str | None = None) -> str:
    """The rules' decision told as what would happen; `asked`: when the customer supposes they would
    ask ("tomorrow"), the decision being the rules' at that moment."""
    if_ = "If that had happened" if supposed else f"If you asked {asked}" if asked else "If you asked for a refund now"
    r, currency = decision.rule, decision.currency

    def cash(amount: int) -> str:
        return money(amount, currency, reader)
    access = _access_line(sub, reader, now) if not supposed else ""
    if r == "R0":
        if decision.facts.get("trial_end"):
            return "You wouldn't pay anything: you're in your free trial and haven't been charged, and if you " \
                   "cancel before it ends you never are."
        return "There would be nothing to refund: your latest payment has already been refunded, or there is none."
    if r == "R1":
        charged = parse_utc(decision.facts["charge_created"]) if decision.facts.get("charge_created") else now
        closes = deadline(charged + timedelta(hours=window_hours), reader, now=now)
        until = "" if supposed else f" That applies until {closes}."
        return (f"{if_}, you would get {cash(decision.refund)} back: your {cash(decision.base)} payment "
                f"{'would have been' if supposed else 'was'} made less than {window_hours} hours before, so our "
                f"one-time late-cancellation refund applies, less the {cash(decision.fee)} processing fee, and the "
                f"subscription would end straight away.{until}")
    if r == "R2":
        used = " and the one-time late-cancellation refund was already used" \
            if decision.facts.get("courtesy_already_used") else ""
        return (f"{if_}, you wouldn't get money back automatically: the payment was made more than {window_hours} "
                f"hours ago{used}, "
                f"so a refund for the unused part would be for our team to decide: about {cash(decision.refund)} "
                f"({cash(decision.base)} unused, less a {cash(decision.fee)} fee). {access}").strip()
    if r in ("R3", "R4"):
        why = "keeping track of a subscription is the account owner's responsibility" if r == "R4" \
            else "we charge for access rather than use"
        no = f"{if_}, it wouldn't be refunded" if asked else "No, it wouldn't be refunded"
        return (f"{no}: the payment {'would have been' if supposed else 'was'} more than "
                f"{window_hours} hours before, and {why}. Within {window_hours} hours of a payment there is a "
                f"one-time late-cancellation refund. {access}").strip()
    if r == "R8":
        return "No: the period that payment covered has ended, and fees aren't refundable after that."
    return decision.explanation


def renews_ahead(sub: Subscription | None, now: datetime) -> bool:
    """Whether there is a renewal still to come that cancelling would stop."""
    return sub is not None and sub.renews and sub.current_period_end > now


def _access_line(sub: Subscription | None, reader: Reader, now: datetime) -> str:
    if not renews_ahead(sub, now):
        return ""
    return f"If you cancelled, you'd keep access until {day(sub.current_period_end, reader, now=now)} and not " \
           "be charged again."


def cancel_if(sub: Subscription | None, reader: Reader, now: datetime) -> str:
    if not renews_ahead(sub, now):
        return "Your subscription already won't renew, so cancelling would change nothing."
    return f"If you cancelled now, your subscription wouldn't renew: you'd keep access until " \
           f"{day(sub.current_period_end, reader, now=now)} and not be charged again."


def cancelled_earlier_if(account: Account, *, moment: datetime | None, then: Decision | None, window_hours: int,
                         reader: Reader, now: datetime) -> str:
    """"What if I had cancelled before it renewed / yesterday?": cancelling stops renewals to come, so
    a cancellation before the latest payment would have saved it, and one after it would not have
    changed it (though asking for a refund then may have: `then`, the rules' decision at `moment`).
    `moment` None: before the payment."""
    charge, sub = rules.latest_charge(account.charges, now), account.subscription
    if charge is None:
        return "There hasn't been a payment on your account, so cancelling earlier wouldn't have saved anything."
    paid = f"your payment of {money(charge.amount, charge.currency, reader)} on {day(charge.created, reader, now=now)}"
    if moment is None or moment < charge.created:
        said = (f"If you had cancelled before {paid}, it wouldn't have been taken: cancelling stops the next renewal, "
                "and your access would have run to the end of the period you'd already paid for.")
    else:
        said = (f"Cancelling then wouldn't have changed {paid}: it had already been taken, and cancelling only stops "
                "the renewals after it.")
        if then is not None and then.rule == "R1":
            said += (f" Asking for a refund then, within {window_hours} hours of it, would have got "
                     f"{money(then.refund, then.currency, reader)} back (our one-time late-cancellation refund).")
    return f"{said} {_access_line(sub, reader, now)}".strip()


def data_if(sub: Subscription | None, reader: Reader, now: datetime, *, refund_offered: bool = False) -> str:
    """What cancelling does to the customer's data. With a refund on offer (R1), saying yes ends the
    subscription and its access at once, so that is said first: the period's end is not theirs then."""
    until = day(sub.current_period_end, reader, now=now) if sub and sub.current_period_end > now \
        else "the end of your billing period"
    deleted = "after a subscription ends, its data may be deleted after a reasonable period."
    if refund_offered:
        return (f"With the refund I offered, your subscription and your access to everything, your contacts "
                f"included, would end as soon as you say yes: export them before you do. Cancelling without a "
                f"refund would keep everything until {until}. Either way, {deleted}")
    return (f"No, not straight away: if you cancelled, you'd keep access to everything, your contacts included, "
            f"until the end of your billing period on {until}. Export them before then: {deleted}")


def unpaid_if(sub: Subscription | None, reader: Reader, now: datetime, *, data: bool = False) -> str:
    """A payment supposed to fail or not be made: what the terms do about it, on the customer's dates."""
    if sub is None or sub.status == "canceled" or sub.current_period_end <= now:
        return "Your subscription has ended, so there's no payment left to miss."
    if not sub.renews:
        return f"Your subscription won't renew, so there's no payment left to miss: you keep access until " \
               f"{day(sub.current_period_end, reader, now=now)}."
    trialing = sub.status == "trialing" and sub.trial_end is not None and sub.trial_end > now
    due = sub.trial_end if trialing else sub.current_period_end
    said = (f"If your {'first' if trialing else 'next'} payment of {money(sub.price, sub.currency, reader)} on "
            f"{day(due, reader, now=now)} failed, you'd be asked to update your card in your billing settings and it "
            f"would be retried; while it stayed unpaid, our terms (section 3) let us suspend or end your access. ")
    said += "Cancelling before your trial ends means you're never charged." if trialing else \
        f"If you'd rather not pay again, cancelling before then stops the renewal and you keep access until " \
        f"{day(due, reader, now=now)}."
    if data:
        said += " An account ended that way may have its data deleted after a reasonable period, so export it first."
    return said


def trial_if(sub: Subscription, plan_name: str, *, keep: bool, reader: Reader, now: datetime) -> str:
    end = sub.trial_end or sub.current_period_end
    price = money(sub.price, sub.currency, reader)
    if keep:
        return (f"If you didn't cancel, {plan_name} would start when your trial ends on "
                f"{deadline(end, reader, now=now)}: {price} charged automatically then, and every {sub.interval} "
                "after.")
    return (f"If you cancelled during your trial, you wouldn't pay anything: you're never charged, and you'd keep "
            f"using it until the trial ends on {day(end, reader, now=now)}.")


def switch_billing(sub: Subscription, target: Plan, now: datetime) -> str:
    """How a switch would be billed, as the offer would quote it (bot/core/plan_quotes.py): "trial"
    (nothing until the trial ends), "new_period" (another interval, billed at once) or "next_invoice"."""
    if in_trial(sub, now):
        return "trial"
    return "new_period" if starts_new_period(sub, target, now) else "next_invoice"


def plan_if(sub: Subscription, target: Plan | None, reader: Reader, now: datetime) -> str:
    """What a switch would cost and when (`switch_billing`): nothing in a trial, the difference on the
    next invoice within an interval, a new period at once for another interval."""
    if target is None:
        return ("Switching plans is prorated: moving up charges the difference for the rest of the period, moving "
                "down credits it to your next invoice; nothing is paid back to your card. Which plan are you "
                "thinking of?")
    unused, due = proration(sub, target, now)
    price = f"{money(target.price, target.currency, reader)} a {target.interval}"

    def cash(amount: int) -> str:
        return money(abs(amount), target.currency, reader)
    billing = switch_billing(sub, target, now)
    if billing == "trial":
        ends = f" on {day(sub.trial_end, reader, now=now)}" if sub.trial_end else ""
        return (f"If you switched to {target.display_name} during your trial, nothing would be charged now: the trial "
                f"carries on, and {price} would be charged when it ends{ends}.")
    if billing == "new_period":
        if due <= 0:
            return (f"If you switched to {target.display_name}, a new {target.interval} at {price} would start that "
                    f"day. The unused part of your current {sub.interval}, about {cash(unused)}, would cover it, so "
                    f"nothing would be charged then and about {cash(due)} would stay as credit for your next "
                    "invoices. Nothing is paid back to your card.")
        return (f"If you switched to {target.display_name}, a new {target.interval} at {price} would start that day "
                f"and be billed at once, with the unused part of your current {sub.interval} (about {cash(unused)}) "
                f"credited against it: about {cash(due)} then. Nothing is paid back to your card.")
    if due < 0:
        return (f"If you moved to {target.display_name}, you wouldn't get money back to your card: the difference "
                f"for the rest of this period, about {cash(due)}, would be a credit on your next invoice "
                f"(prorated). After that you'd pay {price}.")
    return (f"If you switched to {target.display_name}, about {cash(due)} for the rest of this period (prorated) would "
            f"be added to your next invoice, so nothing would be charged that day; then {price}.")


def topic(about: str, *, decision: Decision | None = None, sub: Subscription | None = None,
          plan_name: str = "", target: Plan | None = None, window_hours: int = 24, supposed: bool = False,
          now: datetime | None = None) -> dict:
    """What follow-ups on a hypothetical need: plain values."""
    facts = decision.facts if decision else {}
    charged = facts.get("charge_created")
    window_ends = (parse_utc(charged) + timedelta(hours=window_hours)).isoformat() \
        if charged and not supposed else None
    return {"kind": "what_if", "about": about, "rule": decision.rule if decision else None,
            "window_hours": window_hours, "reason": decision.reason.value if decision else None,
            "refund": decision.refund if decision else None, "window_ends": window_ends,
            "currency": sub.currency if sub else None, "price": sub.price if sub else None,
            "interval": sub.interval if sub else None, "plan": plan_name, "target": target.id if target else None,
            "switch_billing": switch_billing(sub, target, now) if sub and target and now else None,
            "period_end": sub.current_period_end.isoformat() if sub else None, "supposed": supposed,
            "trial_end": sub.trial_end.isoformat() if sub and sub.trial_end else None}


def follow_up(question: str, topic_: Mapping, *, reader: Reader, now: datetime) -> str | None:
    """"How long do I have?", "when would that be?" after a hypothetical; None: ask it afresh."""
    if question == "when" and topic_.get("about") == "unpaid":
        return ("The terms set no date for it: a failed payment is retried once you update your card, and access "
                "may be suspended while it stays unpaid.")
    if question == "when":
        if topic_.get("about") == "plan" and topic_.get("target"):
            return _plan_when(topic_, reader, now)
        if topic_.get("window_ends"):
            return (f"The one-time refund applies for {topic_.get('window_hours', 24)} hours after a payment: you'd "
                    f"have until {deadline(parse_utc(topic_['window_ends']), reader, now=now)} to ask for it.")
        if topic_.get("about") in ("trial_cancel", "trial_keep") and topic_.get("trial_end"):
            return f"Your trial ends on {deadline(parse_utc(topic_['trial_end']), reader, now=now)}: that's when " \
                   "the first payment would be taken, unless you cancel before."
        if topic_.get("period_end"):
            return f"There's no deadline: if you cancelled, you'd keep access until " \
                   f"{day(parse_utc(topic_['period_end']), reader, now=now)}."
    if question == "what_next":
        return "Nothing changes unless you ask: tell me if you'd like to go ahead, and I'll confirm with you first."
    if question == "why":
        return WHY.get(topic_.get("about") or "")
    return None


TRIAL_WHY = "The trial is free so you can try everything first; the plan starts when it ends unless you cancel."
# "Why?" after a hypothetical the decision's and cancellation's reasons don't answer
# (bot/core/topic_answers.py asks those first).
WHY = {
    "cancel_earlier": "Plans are paid in advance: each payment covers the period ahead, and cancelling stops the "
                      "payments still to come, not one already taken.",
    "unpaid": "Plans are paid in advance, and our terms (section 3) let us suspend or end access while a payment "
              "stays unpaid.",
    "data": "After a subscription ends, our terms (section 9) let us delete its data after a reasonable period, so "
            "an export first keeps your copy.",
    "plan": "A switch is prorated: you pay, or are credited, only the difference for the rest of the period you're "
            "in.",
    "trial_cancel": TRIAL_WHY,
    "trial_keep": TRIAL_WHY,
    "refund": "The rules look at when the payment would have been made and why you'd be asking; a person can look at "
              "anything they don't cover.",
}


def refund_until(decision_now: Decision, *, window_hours: int, reader: Reader, now: datetime) -> str:
    """What asking before the late-cancellation window closes would get, when it is open now."""
    if decision_now.rule != "R1" or not decision_now.facts.get("charge_created"):
        return ""
    closes = deadline(parse_utc(decision_now.facts["charge_created"]) + timedelta(hours=window_hours), reader, now=now)
    return f"Asked before {closes}, you would get {money(decision_now.refund, decision_now.currency, reader)} back."


def _plan_when(topic_: Mapping, reader: Reader, now: datetime) -> str:
    """"When would the change kick in?" after a switch was supposed: at once, billed as plan_if said."""
    billing = topic_.get("switch_billing")
    if billing == "trial" and topic_.get("trial_end"):
        return (f"Straight away once you said yes to it; in your trial nothing is charged until it ends on "
                f"{day(parse_utc(topic_['trial_end']), reader, now=now)}.")
    if billing == "new_period":
        return "Straight away once you said yes to it: the new billing period would start and be billed that day."
    return ("Straight away once you said yes to it; the difference for the rest of this period would go on your next "
            "invoice, so nothing would be charged that day.")
