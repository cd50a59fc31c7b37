"""Questions about the customer's own subscription."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import requests
from actions.customer_action import CustomerAction
from actions.identity import answer_when_identified, reader_of
from actions.quick_replies import CANCEL, CHANGE_PLAN, PERSON
from bot.app.account import account_summary, renewal
from bot.app.topic_facts import plan_price
from bot.clock import now_utc
from bot.db.repository import UnknownCustomer


def summarise(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    now, reader = now_utc(), reader_of(tracker)
    try:
        summary, state = account_summary(email, now=now, reader=reader), renewal(email, now=now)
    except UnknownCustomer:
        dispatcher.utter_message(response="utter_no_account")
        return []
    dispatcher.utter_message(text=summary, buttons=[CHANGE_PLAN, *([CANCEL] if state.renews else []), PERSON])
    until = state.access_until.isoformat() if state.access_until else None
    # what "and how much is that?" needs: the plan's price
    price = plan_price(email) or {}
    return [SlotSet("topic", {"kind": "account", "renews": state.renews, "period_end": until, **price}),
            SlotSet("last_request", "check_subscription")]


class ActionCheckSubscription(CustomerAction):
    def name(self) -> str:
        return "action_check_subscription"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(dispatcher, tracker, lambda email: summarise(dispatcher, tracker, email))


requests.register("check_subscription",
                  lambda dispatcher, tracker, email, intent: summarise(dispatcher, tracker, email))
