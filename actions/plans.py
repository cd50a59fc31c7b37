"""Changing plans (R7): list the options, preview Stripe's amounts, confirm, change."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import answer_when_identified, verified_email
from bot.app.plan_changes import CannotChangePlan, change_plan, plan_options, preview_plan_change
from bot.billing.gateway import GatewayError
from bot.core.plans import UnknownPlan, match_plan

PREVIEW_RESPONSE = {"charge": "utter_plan_preview_charge", "credit": "utter_plan_preview_credit",
                    "none": "utter_plan_preview_no_proration"}


def _requested_plan(tracker: Tracker) -> str | None:
    """A plan id from a button (`/change_plan{"plan": ...}`) or the slot kept over the form."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "plan":
            return str(entity.get("value"))
    return tracker.get_slot("pending_plan")


def offer_plan_change(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    available = plan_options(email)
    if not available["options"]:
        dispatcher.utter_message(response="utter_no_plan_to_change")
        return [SlotSet("pending_plan", None)]
    wanted = _requested_plan(tracker)
    chosen = next((p for p in available["options"] if p.id == wanted), None) or match_plan(
        tracker.latest_message.get("text") or "", available["current"], available["options"])
    if chosen is not None:
        return preview(dispatcher, email, chosen.id)
    dispatcher.utter_message(response="utter_change_plan_terms")
    dispatcher.utter_message(
        response="utter_plan_options", current=available["current_label"],
        buttons=[{"title": p.label, "payload": f'/change_plan{{"plan":"{p.id}"}}'}
                 for p in available["options"]])
    return [SlotSet("pending_plan", None), SlotSet("awaiting_plan_confirmation", False)]


def preview(dispatcher: CollectingDispatcher, email: str, plan_id: str) -> list[dict[str, Any]]:
    try:
        quote = preview_plan_change(email, plan_id)
    except (CannotChangePlan, UnknownPlan) as exc:
        dispatcher.utter_message(response="utter_cannot_change_plan", why=str(exc))
        return [SlotSet("pending_plan", None), SlotSet("awaiting_plan_confirmation", False)]
    except GatewayError:
        dispatcher.utter_message(response="utter_payments_unreachable")
        return [SlotSet("pending_plan", None), SlotSet("awaiting_plan_confirmation", False)]
    dispatcher.utter_message(response=PREVIEW_RESPONSE[quote["direction"]], plan=quote["plan_label"],
                             amount=quote["prorated_text"], next_invoice=quote["next_invoice_text"])
    return [SlotSet("pending_plan", plan_id), SlotSet("awaiting_plan_confirmation", True),
            SlotSet("awaiting_refund_confirmation", False), SlotSet("awaiting_cancel_confirmation", False)]


class ActionOfferPlanChange(Action):
    def name(self) -> str:
        return "action_offer_plan_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(
            tracker, lambda email: offer_plan_change(dispatcher, tracker, email),
            remember=[SlotSet("pending_plan", _requested_plan(tracker))])


class ActionChangePlan(Action):
    def name(self) -> str:
        return "action_change_plan"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        done = [SlotSet("awaiting_plan_confirmation", False), SlotSet("pending_plan", None)]
        email, plan_id = verified_email(tracker), tracker.get_slot("pending_plan")
        if email is None or plan_id is None:
            dispatcher.utter_message(response="utter_need_identity")
            return done
        try:
            result = change_plan(email, plan_id)
        except (CannotChangePlan, UnknownPlan) as exc:
            dispatcher.utter_message(response="utter_cannot_change_plan", why=str(exc))
            return done
        response = {"changed": "utter_plan_changed", "pending": "utter_plan_change_pending"}.get(
            result["status"], "utter_plan_change_failed")
        dispatcher.utter_message(response=response, plan=result["plan_label"])
        return done


class ActionKeepPlan(Action):
    def name(self) -> str:
        return "action_keep_plan"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_plan_unchanged")
        return [SlotSet("awaiting_plan_confirmation", False), SlotSet("pending_plan", None)]
