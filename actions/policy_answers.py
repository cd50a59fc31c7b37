"""Answers about the terms whose numbers live in the policy file, never in the domain."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.settings import load_policy

RESPONSE_BY_INTENT = {
    "ask_free_trial": "utter_free_trial",
    "ask_refund_fee": "utter_refund_fee",
    "cancel_subscription": "utter_cancel_terms",
    "chitchat": "utter_chitchat",
}


class ActionExplainPolicy(Action):
    def name(self) -> str:
        return "action_explain_policy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        policy = load_policy()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(
            response=RESPONSE_BY_INTENT.get(intent, "utter_please_rephrase"),
            brand=policy.brand, trial_days=policy.trial_days,
            fee_percent=policy.fee_percent_text,
            window_hours=policy.late_cancel_window_hours, support_email=policy.support_email)
        return []
