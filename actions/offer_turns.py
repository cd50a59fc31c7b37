"""A yes only ever confirms what the assistant offered in its turn right before it.

An offer-making action sets the `offer` slot to the offer's token and puts the token in
the offer's buttons. The offer counts only if that slot was set in the turn between the
customer's previous message and the one being answered, and only if both messages did
not arrive in one delivery (an email's second paragraph cannot answer an offer made to
its first: the customer never saw it). Everything here reads the tracker; the offer's
own state (open, unexpired, this customer's) is bot/app/offers.py's to check.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

OFFER_SLOT = "offer"
LOOK_AGAIN_SLOT = "look_again"  # set when the assistant asked "shall I look again?"
# What the customer sees on an offer's buttons; the payload names the offer.
YES, NO = "affirm", "deny"


def offer_of_previous_turn(events: list[dict]) -> str | None:
    """The token of the offer made in the assistant's turn just before the latest message."""
    return set_in_previous_turn(events, OFFER_SLOT)


def set_in_previous_turn(events: list[dict], slot: str):
    """What the assistant's turn just before the latest customer message set `slot` to, if it
    set it at all: a value from any earlier turn, or from the same delivery, counts for nothing."""
    customer = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if not customer:
        return None
    current = customer[-1]
    previous = customer[-2] if len(customer) > 1 else -1
    delivery = delivery_of(events[current])
    if previous >= 0 and delivery and delivery_of(events[previous]) == delivery:
        return None
    value = None
    for event in events[previous + 1:current]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


def delivery_of(event: dict) -> str | None:
    """The message a customer event was part of, when a message's clauses were asked one by one."""
    return (event.get("metadata") or {}).get("delivery")


def pressed_offer(tracker: Tracker) -> str | None:
    """The offer a pressed button names (a typed yes names none)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "offer":
            return str(entity.get("value"))
    return None


def offer_buttons(token: str, yes: str, no: str) -> list[dict]:
    return [{"title": yes, "payload": f'/{YES}{{"offer":"{token}"}}'},
            {"title": no, "payload": f'/{NO}{{"offer":"{token}"}}'}]


def offered(token: str) -> list[dict[str, Any]]:
    return [SlotSet(OFFER_SLOT, token)]


# Set with a question that offers a person ("would you like a person?"): a yes to it hands the
# conversation over, as the button would (actions/requests.py, look_again).
PERSON_OFFERED = "request_human"


def person_offered() -> list[dict[str, Any]]:
    return [SlotSet(LOOK_AGAIN_SLOT, PERSON_OFFERED)]


def ask_to_look_again(dispatcher: CollectingDispatcher, request: str) -> list[dict[str, Any]]:
    """"Shall I look at your account again?": a yes to it answers `request` (an intent) afresh
    (actions/requests.py), with any offer it makes a new one."""
    dispatcher.utter_message(response="utter_look_again")
    return [SlotSet(LOOK_AGAIN_SLOT, request)]
