"""What the plans cost and include, beside the signed-in customer's own plan: asked outright
("how do the plans differ?") or as a hypothetical about a limit ("what if we need more than 3
users?"). No identity is needed; nothing is recorded or moved."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import account_of, prove, reader_of
from actions.quick_replies import CHANGE_PLAN, PERSON
from bot.core.plan_facts import plans_answer
from bot.settings import load_plans

DEFAULT_CURRENCY = "usd"  # a visitor's prices: the catalogue's own currency


def answer_plans(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    email, current, currency = prove(tracker).email, None, DEFAULT_CURRENCY
    own = account_of(email)  # not signed_in_account: a proven address with no account is told it can't switch
    if own is not None and own.account.subscription is not None:
        current, currency = own.plan, own.account.subscription.currency
    # A visitor may still prove who they are and switch; a proven address with no subscription has nothing to switch.
    switchable = email is None or current is not None
    said, topic = plans_answer(tracker.latest_message.get("text") or "", load_plans(), currency=currency,
                               current=current, topic=tracker.get_slot("topic"), reader=reader_of(tracker),
                               switchable=switchable)
    dispatcher.utter_message(text=said, buttons=[CHANGE_PLAN, PERSON] if email and switchable else [PERSON])
    return [SlotSet("topic", topic)]
