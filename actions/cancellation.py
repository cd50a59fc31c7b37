"""Cancelling at period end: offered, confirmed, then carried out through the ledger."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import answer_when_identified, verified_email
from bot.app.account import cancel_at_period_end, renewal
from bot.core.messages import access_until


def offer_cancellation(dispatcher: CollectingDispatcher, email: str) -> list[dict[str, Any]]:
    state = renewal(email)
    if not state["renews"]:
        dispatcher.utter_message(response="utter_not_renewing", access_until=access_until(state["access_until"]))
        return [SlotSet("awaiting_cancel_confirmation", False)]
    dispatcher.utter_message(response="utter_offer_cancel_at_period_end",
                             access_until=access_until(state["access_until"]))
    return [SlotSet("awaiting_cancel_confirmation", True), SlotSet("awaiting_refund_confirmation", False)]


class ActionOfferCancellation(Action):
    def name(self) -> str:
        return "action_offer_cancellation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(tracker, lambda email: offer_cancellation(dispatcher, email))


class ActionCancelAtPeriodEnd(Action):
    def name(self) -> str:
        return "action_cancel_at_period_end"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        done = [SlotSet("awaiting_cancel_confirmation", False)]
        email = verified_email(tracker)
        if email is None:
            dispatcher.utter_message(response="utter_need_identity")
            return done
        result = cancel_at_period_end(email)
        response = {"cancelled": "utter_cancelled_at_period_end", "not_renewing": "utter_not_renewing",
                    "pending": "utter_cancel_pending"}.get(result["status"], "utter_cancel_failed")
        dispatcher.utter_message(response=response, access_until=access_until(result["access_until"]))
        return done


class ActionKeepSubscription(Action):
    def name(self) -> str:
        return "action_keep_subscription"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_nothing_changed")
        return [SlotSet("awaiting_cancel_confirmation", False)]
