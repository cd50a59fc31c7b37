"""What would happen if (issue 28, class 5): a hypothetical is answered in conditional words from
the same rules and facts a request would be decided on (bot/core/what_if.py), and nothing is
recorded, opened or moved. The way on is a quick reply that asks for it for real, which makes the
usual offer, for its own yes. The refund, cancellation and plan actions hand a request that is only
asked hypothetically ("would I get anything back if I cancelled?") to `answer_what_if`."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.customer_action import CustomerAction
from actions.identity import prove, reader_of
from actions.offer_turns import offer_of_previous_turn
from actions.plan_answers import answer_plans
from actions.quick_replies import CANCEL, CHANGE_PLAN, PERSON
from actions.topic_questions import answer_question, asks_where_the_money_goes
from bot.app import offers
from bot.app.own_facts import OwnAccount, own_account_or_none, refund_if
from bot.clock import now_utc
from bot.core import facts, supposing, what_if
from bot.core.asking import follow_up_kind
from bot.core.plan_facts import LACKING, asks_about_allowances, what_a_move_loses
from bot.core.plans import Plan, match_plan, move_direction, options_for
from bot.core.refusals import STATED_REASON
from bot.core.statuses import OfferKind
from bot.settings import load_plans, load_policy

REFUND = {"title": "Ask for a refund", "payload": "/request_refund"}
NOTHING_CHANGED = "Nothing has changed on your account."
# Without an account to read, what the terms say would happen.
IN_GENERAL = ("In general: within {window} hours of a payment you can have it back once, less a {fee}% processing "
              "fee; after that, cancelling stops the renewal and you keep access to the end of the period you've "
              "paid for; a free trial cancelled before it ends is never charged; moving plans is prorated. Sign in, "
              "or ask me something about your account and I'll email you a code, and I'll tell you exactly.")


def answer_what_if(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """The hypothetical of the latest message, answered for the proven customer's account, or in
    general words for anyone else (the question is answered either way; nothing needs a code). An
    outage that may come ("so if it's down for a week do I just lose out?") is answered alike for
    everyone: what the rules allow, a credit at the team's discretion; nothing is opened."""
    text = tracker.latest_message.get("text")
    if supposing.asks_about_an_outage(text):
        dispatcher.utter_message(text=f"{what_if.OUTAGE_IF} {NOTHING_CHANGED}", buttons=[PERSON])
        return [SlotSet("needs_identity", False)]
    if asks_about_allowances(text):  # "what if we need more than 3 users?": what each plan allows
        return [SlotSet("needs_identity", False), *answer_plans(dispatcher, tracker)]
    email = prove(tracker).email
    if email is None:
        policy = load_policy()
        general = what_if.UNPAID_IN_GENERAL if supposing.about_not_paying(text) else \
            IN_GENERAL.format(window=policy.late_cancel_window_hours, fee=policy.fee_percent_text)
        dispatcher.utter_message(text=general, buttons=[PERSON])
        return [SlotSet("needs_identity", False)]
    own = own_account_or_none(email)
    if own is None:
        dispatcher.utter_message(response="utter_no_account")
        return [SlotSet("needs_identity", False)]
    return [SlotSet("needs_identity", False), *_answer(dispatcher, tracker, own)]


def _previous_subject(tracker: Tracker) -> str | None:
    """What the hypothetical just answered was about, if the conversation is on one."""
    topic = tracker.get_slot("topic") or {}
    return topic.get("about") if topic.get("kind") == "what_if" else None


def asked_hypothetically(tracker: Tracker) -> bool:
    """The latest message asks what would happen rather than for it to happen (bot/core/what_if.py)."""
    return supposing.asked_hypothetically(tracker.latest_message.get("text"),
                                        following_one=_previous_subject(tracker) is not None)


def answer_if_hypothetical(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """For a message the model could not place: a hypothetical about the account is answered as
    one (None otherwise), so "say I'd been charged a week ago, would that be refunded?" is not a miss."""
    text = tracker.latest_message.get("text")
    if not asked_hypothetically(tracker) or not supposing.about_the_account(text, previous=_previous_subject(tracker)):
        return None
    return answer_what_if(dispatcher, tracker)


def _answer(dispatcher: CollectingDispatcher, tracker: Tracker, own: OwnAccount) -> list[dict[str, Any]]:
    text, now, reader, policy = tracker.latest_message.get("text") or "", now_utc(), reader_of(tracker), load_policy()
    sub = own.account.subscription
    if sub is None:
        dispatcher.utter_message(text="There's no subscription on this account, so nothing would be charged, "
                                      "refunded or cancelled.", buttons=[PERSON])
        return []
    previous = tracker.get_slot("topic") or {}
    before = previous if previous.get("kind") == "what_if" else {}  # "and if I'd written the same day?"
    trialing = sub.status == "trialing"
    about = supposing.subject(text, trialing=trialing, previous=before.get("about"))
    decision, target, supposed, buttons = None, None, False, [PERSON]
    if about == "unpaid":
        said = what_if.unpaid_if(sub, reader, now, data=supposing.about_data(text))
        buttons = [CANCEL, PERSON] if what_if.renews_ahead(sub, now) else [PERSON]
    elif about == "data":
        said = what_if.data_if(sub, reader, now, refund_offered=_refund_waiting(tracker))
        buttons = [CANCEL, PERSON]
    elif about == "plan":
        target = _target(text, own, before)
        said, buttons = what_if.plan_if(sub, target, reader, now), [CHANGE_PLAN, PERSON]
        loses = what_a_move_loses(own.plan, target, load_plans(), reader) \
            if target is not None and own.plan is not None and LACKING.search(text) else None
        said = f"{loses} {said}" if loses else said
    elif about == "trial_keep" and not trialing:
        said = facts.next_payment_answer(sub, own.plan_name, reader, now)
    elif about in ("trial_cancel", "trial_keep"):
        said = what_if.trial_if(sub, own.plan_name, keep=about == "trial_keep", reader=reader, now=now)
        buttons = [CANCEL, PERSON] if sub.renews else [PERSON]
    elif about == "cancel_earlier":
        moment = supposing.supposed_cancellation(text, now)
        why = supposing.reason(text, tracker.get_slot(STATED_REASON))
        then = refund_if(own, why, now=moment, policy=policy) if moment else None
        said = what_if.cancelled_earlier_if(own.account, moment=moment, then=then,
                                            window_hours=policy.late_cancel_window_hours, reader=reader, now=now)
        now_decided = refund_if(own, why, now=now, policy=policy)
        if now_decided.rule == "R1":  # the one-time refund is still open: that is worth more than the past
            said = " ".join([said, what_if.refund_until(now_decided, window_hours=policy.late_cancel_window_hours,
                                                        reader=reader, now=now)])
        buttons = [CANCEL, PERSON] if what_if.renews_ahead(sub, now) else [PERSON]
    elif about == "refund":
        charged_at, later = supposing.supposed_charge(text, now), supposing.supposed_later(text, now)
        # The reason of the hypothetical, else of the one it follows, else the conversation's (it stands)
        supposed = charged_at is not None
        why = supposing.reason(text, before.get("reason") or tracker.get_slot(STATED_REASON))
        asked_at, asked = later if later and not supposed else (now, None)
        decision = refund_if(own, why, now=asked_at, charged_at=charged_at, policy=policy)
        said = what_if.refund_if(decision, sub, window_hours=policy.late_cancel_window_hours, reader=reader,
                                 now=asked_at, supposed=supposed, asked=asked)
        if asked and decision.rule != "R1":  # "would I still get it tomorrow?": not then, but until when
            now_decided = refund_if(own, why, now=now, policy=policy)
            said = " ".join(filter(None, [said, what_if.refund_until(
                now_decided, window_hours=policy.late_cancel_window_hours, reader=reader, now=now)]))
        buttons = [PERSON] if supposed or decision.outcome.value in ("no_refund", "nothing_to_refund") \
            else [REFUND, PERSON]
    else:
        said = what_if.cancel_if(sub, reader, now)
        buttons = [CANCEL, PERSON] if sub.renews else [PERSON]
    dispatcher.utter_message(text=f"{said} {NOTHING_CHANGED}", buttons=buttons)
    topic = what_if.topic(about, decision=decision, sub=sub, plan_name=own.plan_name, target=target,
                          window_hours=policy.late_cancel_window_hours, supposed=supposed, now=now)
    return [SlotSet("topic", topic)]


def _refund_waiting(tracker: Tracker) -> bool:
    """Whether the assistant's turn just before offered a refund (R1), which ends access at once."""
    token = offer_of_previous_turn(tracker.events)
    offer = offers.find(token) if token else None
    return offer is not None and offer.kind == OfferKind.REFUND


def _target(text: str, own: OwnAccount, before: dict) -> Plan | None:
    """The plan a hypothetical move names ("if I went down to Starter"), or the one asked about just
    before, or the next one down or up when it only says "downgrade" or "upgrade"."""
    catalogue, sub = load_plans(), own.account.subscription
    options = options_for(sub.plan, sub.currency, catalogue)
    named = match_plan(text, own.plan, options)
    if named is not None:
        return named
    if before.get("target") in catalogue:
        return catalogue[before["target"]]
    tier = own.plan.tier if own.plan else None
    if tier is None:
        return None
    same = [p for p in options if p.interval == sub.interval]
    step = move_direction(text)
    if step == -1:
        return max((p for p in same if p.tier < tier), key=lambda p: p.tier, default=None)
    if step == 1:
        return min((p for p in same if p.tier > tier), key=lambda p: p.tier, default=None)
    return None


class ActionAnswerWhatIf(CustomerAction):
    def name(self) -> str:
        return "action_answer_what_if"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if asks_where_the_money_goes(tracker):  # "and would it go back to my card or as credit?"
            return answer_question(dispatcher, tracker, "paid_to")
        if tracker.get_slot("offer") and follow_up_kind(tracker.latest_message.get("text")) == "decide_later":
            # "what if I did it next month instead?", offered a switch: whether the offer can wait
            return answer_question(dispatcher, tracker, "decide_later")
        return answer_what_if(dispatcher, tracker)
