"""Refund requests: the core decides, the customer hears it in their terms, and an R1 refund
is offered and paid only on a yes to that offer (actions/answers.py, by what it registers
in actions/offer_kinds.py)."""
from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import offer_kinds, requests
from actions.cancellation import offer_cancellation
from actions.cases import case_topic, tell_about_case
from actions.customer_action import CustomerAction
from actions.identity import answer_when_identified, latest_intent, reader_of, verified_email
from actions.offer_turns import ask_to_look_again, offer_buttons, offered
from actions.quick_replies import CANCEL, MY_PLAN, PERSON
from actions.own_facts import answer_incident, answer_refund_status
from actions.topic_questions import (answer_question, asks_where_the_money_goes, asks_who_decides,
                                    next_explanation)
from actions.transcript import customer_words, entities_of, latest_customer_event, written_at
from actions.what_if import answer_what_if, asked_hypothetically
from bot.app import offers
from bot.app import refunds as refund_cases
from bot.app.account import renewal
from bot.app.results import RefundDecision, RefundStatus
from bot.clock import now_utc
from bot.core import messages
from bot.core.domain import Outcome
from bot.core.facts import asks_incident_status
from bot.core.refund_status import asks_refund_status
from bot.core.formatting import deadline, money
from bot.core.mentions import asks_for_money, mismatch_note, parse_amount, parse_date
from bot.core.refusals import SAME_ANSWER, STATED_REASON, reason_stands, review_needs_cancelling, standing_reason
from bot.core.statuses import OfferKind
from bot.core.timeutil import parse_utc
from bot.db.models import Offer
from bot.db.repository import UnknownCustomer
from bot.settings import load_policy

REASON_BY_INTENT = {
    "request_refund": "unspecified",
    "late_cancellation": "late_cancellation",
    "unused_account": "unused_account",
    "technical_problem": "technical_problem",
    "forgot_subscription": "forgot_subscription",
}
REVIEW_OUTCOMES = {Outcome.REVIEW_REFUND, Outcome.REVIEW_CREDIT}
TOPIC_FACTS = ("rule", "outcome", "currency", "refund", "fee", "base", "credit", "charge_amount", "charge_date",
               "requires_cancellation", "case_id", "case_due")


def assess(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, intent: str | None) -> list[dict[str, Any]]:
    """Ask the core for a decision for a proven customer and put it in their words."""
    reader, now, policy = reader_of(tracker), now_utc(), load_policy()
    words = customer_words(tracker, REASON_BY_INTENT)
    asked = REASON_BY_INTENT.get(intent, "unspecified")
    reason = standing_reason(asked, tracker.get_slot(STATED_REASON))
    try:
        decision = refund_cases.assess_refund(
            email, reason, now=now,
            channel=tracker.get_latest_input_channel(), conversation_id=tracker.sender_id, note=words)
    except UnknownCustomer:
        dispatcher.utter_message(response="utter_no_account")
        return []
    # Someone who only reported a problem did not ask for a refund, and is not told there is none.
    asked_for_money = intent != "technical_problem" or asks_for_money(words)
    told = messages.decision_for_customer(decision.as_json(), window_hours=policy.late_cancel_window_hours,
                                          reader=reader, now=now, asked_for_money=asked_for_money, reported=words)
    events = [SlotSet("topic", decision_topic(decision)), SlotSet("last_request", intent),
              SlotSet(STATED_REASON, None if reason == "unspecified" else reason)]
    if decision.outcome is Outcome.TICKET:  # help first: what to try, then the ticket, then the rule
        if decision.case.case_created:  # once: told again, it reads as not listening
            dispatcher.utter_message(response="utter_troubleshooting")
        tell_about_case(dispatcher, decision.case, reader)
        if told:
            dispatcher.utter_message(text=told)
        return events
    note, steps = _mismatch(tracker, decision, reader), _next_steps(decision)
    if reason != asked and decision.outcome is Outcome.NO_REFUND:  # asked again, nothing new: the reason stands
        dispatcher.utter_message(text=reason_stands(reason))
    elif decision.outcome is Outcome.NO_REFUND and _refused_before(tracker, decision):
        # a new fact, the same refusal of the same payment (hal, make run 2026-12-07): why, in other words
        said, counted = next_explanation(tracker, decision.rule)
        told, events = f"{SAME_ANSWER} {said}", events + counted
    if decision.awaits_cancellation:  # R2 while it renews: a person reviews it once it's cancelled
        told = review_needs_cancelling(decision.as_json(), reader)
    dispatcher.utter_message(text=told, buttons=[] if note else steps)
    if note:
        dispatcher.utter_message(text=note, buttons=steps)
    if decision.outcome is Outcome.AUTO_REFUND:
        offer = offers.make_offer(
            conversation_id=tracker.sender_id, channel=tracker.get_latest_input_channel(), email=email,
            kind=OfferKind.REFUND, now=now, valid_minutes=policy.decision_valid_minutes,
            decision_id=decision.decision_id, amount=decision.refund, currency=decision.currency)
        return events + present(dispatcher, offer, cancels=decision.requires_cancellation, reader=reader)
    if decision.awaits_cancellation:
        return events + offer_cancellation(dispatcher, tracker, email, review=decision.decision_id,
                                           proposal=decision_topic(decision))
    if decision.outcome in REVIEW_OUTCOMES:
        tell_about_case(dispatcher, decision.case, reader)
    if decision.outcome is Outcome.NO_REFUND:  # R3, R4, R8: offer to stop the next renewal
        events += offer_cancellation(dispatcher, tracker, email, refused=decision_topic(decision))
    return events


def _refused_before(tracker: Tracker, decision: RefundDecision) -> bool:
    """Whether the conversation's topic is this refusal already: the same rule, the same payment."""
    topic = tracker.get_slot("topic") or {}
    refused = topic.get("refused") or topic
    return refused.get("kind") == "decision" and refused.get("rule") == decision.rule and \
        str(refused.get("charge_date")) == str(decision.charge_date)


def _next_steps(decision: RefundDecision) -> list[dict]:
    """Quick replies after an answer that offers nothing itself: with nothing to refund (R0),
    cancelling a trial before it is charged, or the account and a person."""
    if decision.outcome is not Outcome.NOTHING_TO_REFUND:
        return []
    in_trial = decision.charge_amount is None and decision.facts.get("trial_end")
    return [CANCEL, MY_PLAN] if in_trial else [MY_PLAN, PERSON]


def decision_topic(decision: RefundDecision) -> dict:
    """What a follow-up ("why?", "how much?") needs to know about this decision (the `topic`
    slot: plain JSON)."""
    facts = decision.facts
    return {"kind": "decision", **{key: getattr(decision, key) for key in TOPIC_FACTS},
            "outcome": decision.outcome.value,
            "trial_end": facts.get("trial_end") if decision.charge_amount is None else None,
            "period_end": facts.get("period_end"), "ongoing": facts.get("ongoing_incidents"),
            "charged_at": facts.get("charge_created"),
            "courtesy_used": bool(facts.get("courtesy_already_used"))}


def present(dispatcher: CollectingDispatcher, offer: Offer, *, cancels: bool, reader) -> list[dict[str, Any]]:
    amount = money(offer.amount, offer.currency, reader)
    if cancels:
        dispatcher.utter_message(response="utter_confirm_cancel_and_refund", amount=amount,
                                 buttons=offer_buttons(offer.token, "Yes, cancel and refund",
                                                       "No, keep my subscription"))
    else:
        dispatcher.utter_message(response="utter_confirm_refund", amount=amount,
                                 buttons=offer_buttons(offer.token, "Yes, refund me", "No"))
    return offered(offer.token)


def restate(dispatcher: CollectingDispatcher, tracker: Tracker, offer: Offer) -> list[dict[str, Any]]:
    email, policy = verified_email(tracker), load_policy()
    again = offers.make_offer(
        conversation_id=tracker.sender_id, channel=tracker.get_latest_input_channel(), email=email,
        kind=OfferKind.REFUND, now=now_utc(), valid_minutes=policy.decision_valid_minutes,
        decision_id=offer.decision_id, amount=offer.amount, currency=offer.currency)
    dispatcher.utter_message(response="utter_back_to_offer")
    events = present(dispatcher, again, cancels=renewal(email, now=now_utc()).renews, reader=reader_of(tracker))
    # The offer is again what "when?" or "how much?" is about, not the digression answered before it
    # ("is there a fee?", then "when would I see the money?"), as a restated cancellation or plan
    # change sets its own topic again. The turn that made the offer set its decision as the topic.
    offer_topic = tracker.get_slot("topic")
    return events + ([SlotSet("topic", offer_topic)] if (offer_topic or {}).get("kind") == "decision" else [])


def carry_out(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, offer: Offer) -> list[dict[str, Any]]:
    reader = reader_of(tracker)
    try:
        result = refund_cases.carry_out_refund(offer.decision_id, email=email, consent=offer.token, reader=reader)
    except (refund_cases.NotAllowed, offers.NoConsent):
        dispatcher.utter_message(response="utter_need_identity")
        return []
    if result.status is RefundStatus.REFUNDED and result.canceled:
        dispatcher.utter_message(response="utter_cancelled_now")
    dispatcher.utter_message(text=result.message)
    if result.status is RefundStatus.CHANGED:  # nothing moved: the rules look again if the customer wants
        return [SlotSet("topic", None), *ask_to_look_again(dispatcher, tracker.get_slot("last_request"))]
    if result.case is not None:  # it failed: people follow it up
        dispatcher.utter_message(response="utter_case_opened", case_id=result.case_id,
                                 due=deadline(parse_utc(result.case_due), reader, now=now_utc()))
        return [SlotSet("topic", case_topic(result.case)), SlotSet("last_request", None)]
    if result.status not in (RefundStatus.REFUNDED, RefundStatus.PENDING):  # expired, or not for the assistant to pay
        return [SlotSet("topic", None), SlotSet("last_request", None)]
    # What "when?", "how much?" and "what now?" are about from here on: the refund made (or on its way).
    done = {"kind": "decision", "rule": "R1", "done": True, "paid": result.status is RefundStatus.REFUNDED,
            **{key: getattr(result, key) for key in ("refund", "fee", "charge_amount", "currency")}}
    return [SlotSet("topic", done), SlotSet("last_request", None)]


def _mismatch(tracker: Tracker, decision: RefundDecision, reader) -> str | None:
    """Say so when the amount or date the customer mentioned is not the charge decided on."""
    if decision.charge_amount is None:
        return None
    event = latest_customer_event(tracker, REASON_BY_INTENT)
    entities = entities_of(event)
    written, zone = written_at(event, now_utc())
    amounts = [a for a in (parse_amount(e, decision.currency) for e in entities.get("amount", [])) if a]
    dates = [d for d in (parse_date(e, written, zone) for e in entities.get("date", [])) if d]
    return mismatch_note(mentioned_amount=amounts[0] if amounts else None,
                         mentioned_date=dates[0] if dates else None, charge_amount=decision.charge_amount,
                         charge_date=date.fromisoformat(decision.charge_date), currency=decision.currency,
                         reader=reader, now=written)


class ActionAssessRefund(CustomerAction):
    restates_offer = False  # a new request replaces what was offered before it

    def name(self) -> str:
        return "action_assess_refund"

    def restates_offer_after(self, tracker: Tracker) -> bool:
        # a question, not a new request: the offer still waits
        return asks_who_decides(tracker) or asks_where_the_money_goes(tracker)

    def goes_on_after_a_no(self, tracker: Tracker) -> bool:
        # "Actually wait, I did try to cancel before it renewed": the renewal offered after a refusal
        # is held back, and the new fact is decided on; the same reason again is only a no.
        asked = REASON_BY_INTENT.get(latest_intent(tracker) or "", "unspecified")
        return asked != "unspecified" and asked != tracker.get_slot(STATED_REASON)

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text")
        if asks_where_the_money_goes(tracker):  # "does it go back to my card?": where, not whether
            return answer_question(dispatcher, tracker, "paid_to")
        if asked_hypothetically(tracker):  # asked about, not asked for: nothing is decided or opened
            return answer_what_if(dispatcher, tracker)
        if asks_who_decides(tracker):  # "can't you just refund it?": deciding again would only repeat it
            return answer_question(dispatcher, tracker, "who_decides")
        if asks_refund_status(text) and verified_email(tracker):  # "I still haven't received my refund"
            return answer_refund_status(dispatcher, tracker, verified_email(tracker))
        if latest_intent(tracker) == "technical_problem" and asks_incident_status(text):  # a status, not a claim
            return answer_when_identified(dispatcher, tracker,
                                          lambda email: answer_incident(dispatcher, tracker, email))
        return answer_when_identified(
            dispatcher, tracker, lambda email: assess(dispatcher, tracker, email, latest_intent(tracker)))


offer_kinds.register(OfferKind.REFUND, carry_out=carry_out, restate=restate, declined="utter_nothing_changed")
for _intent in REASON_BY_INTENT:
    requests.register(_intent, assess)
