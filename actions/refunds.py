"""Refund requests: ask the core for a decision, confirm, carry it out."""
from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cancellation import offer_cancellation
from actions.cases import tell_about_case
from actions.identity import answer_when_identified, latest_intent, verified_email
from actions.transcript import customer_words, entities_of, latest_customer_event, written_at
from bot.app import refunds as refund_cases
from bot.clock import now_utc
from bot.core.mentions import mismatch_note, parse_amount, parse_date
from bot.db.repository import UnknownCustomer

REASON_BY_INTENT = {
    "request_refund": "unspecified",
    "late_cancellation": "late_cancellation",
    "unused_account": "unused_account",
    "technical_problem": "technical_problem",
    "forgot_subscription": "forgot_subscription",
}
REVIEW_OUTCOMES = {"review_refund", "review_credit", "ticket"}


def assess(dispatcher: CollectingDispatcher, tracker: Tracker, email: str,
           intent: str | None) -> list[dict[str, Any]]:
    """Ask the core for a decision for a verified customer and put it in words."""
    try:
        decision = refund_cases.assess_refund(
            email, REASON_BY_INTENT.get(intent, "unspecified"), now=now_utc(),
            channel=tracker.get_latest_input_channel(), conversation_id=tracker.sender_id,
            note=customer_words(tracker, REASON_BY_INTENT))
    except UnknownCustomer:
        dispatcher.utter_message(response="utter_no_account")
        return [SlotSet("customer_email", email), SlotSet("awaiting_refund_confirmation", False)]
    dispatcher.utter_message(text=decision["explanation"])
    note = _mismatch(tracker, decision)
    if note:
        dispatcher.utter_message(text=note)
    events = [SlotSet("customer_email", email), SlotSet("decision_id", decision["decision_id"])]
    if decision["outcome"] == "auto_refund":
        response = ("utter_confirm_cancel_and_refund" if decision["requires_cancellation"]
                    else "utter_confirm_refund")
        dispatcher.utter_message(response=response, amount=decision["amount_text"])
        return events + [SlotSet("awaiting_refund_confirmation", True)]
    if decision["outcome"] == "ticket":
        dispatcher.utter_message(response="utter_troubleshooting")
    if decision["outcome"] in REVIEW_OUTCOMES:
        tell_about_case(dispatcher, decision)
    events.append(SlotSet("awaiting_refund_confirmation", False))
    if decision["outcome"] == "no_refund":  # R3, R4, R8: offer to stop the next renewal
        events += offer_cancellation(dispatcher, email)
    return events


def _mismatch(tracker: Tracker, decision: dict) -> str | None:
    """Say so when the amount or date the customer mentioned is not the charge decided on."""
    if "charge_amount" not in decision:
        return None
    event = latest_customer_event(tracker, REASON_BY_INTENT)
    entities = entities_of(event)
    written, zone = written_at(event, now_utc())
    amounts = [a for a in (parse_amount(e, decision["currency"]) for e in entities.get("amount", [])) if a]
    dates = [d for d in (parse_date(e, written, zone) for e in entities.get("date", [])) if d]
    return mismatch_note(mentioned_amount=amounts[0] if amounts else None,
                         mentioned_date=dates[0] if dates else None,
                         charge_amount=decision["charge_amount"],
                         charge_date=date.fromisoformat(decision["charge_date"]),
                         currency=decision["currency"])


class ActionAssessRefund(Action):
    def name(self) -> str:
        return "action_assess_refund"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(
            tracker, lambda email: assess(dispatcher, tracker, email, latest_intent(tracker)))


class ActionCarryOutRefund(Action):
    def name(self) -> str:
        return "action_carry_out_refund"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        done = [SlotSet("awaiting_refund_confirmation", False)]
        email = verified_email(tracker)
        decision_id = tracker.get_slot("decision_id")
        if email is None or decision_id is None:
            dispatcher.utter_message(response="utter_need_identity")
            return done
        try:
            result = refund_cases.carry_out_refund(int(decision_id), email=email, cancel_consent=True)
        except refund_cases.NotAllowed:
            dispatcher.utter_message(response="utter_need_identity")
            return done
        if result["status"] == "refunded" and result["canceled"]:
            dispatcher.utter_message(response="utter_cancelled_now")
        dispatcher.utter_message(text=result["message"])
        return done + [SlotSet("decision_id", None)]


class ActionDeclineRefund(Action):
    def name(self) -> str:
        return "action_decline_refund"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_nothing_changed")
        return [SlotSet("awaiting_refund_confirmation", False), SlotSet("decision_id", None)]
