"""The offer waiting for the customer's answer: declined in whatever words, or asked again
on the same terms, by what its kind registered (actions/offer_kinds.py)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import prove
from actions.offer_kinds import actions_for
from actions.offer_turns import LOOK_AGAIN_SLOT, OFFER_SLOT
from bot.app import offers
from bot.clock import now_utc

CLEARED = [SlotSet(OFFER_SLOT, None), SlotSet(LOOK_AGAIN_SLOT, None)]


def decline(dispatcher: CollectingDispatcher, tracker: Tracker, token: str) -> list[dict[str, Any]]:
    """The customer said no to the waiting offer, in whatever words: nothing changes."""
    offer = offers.find(token)
    email = prove(tracker).email
    if offer is not None and email is not None:
        try:
            offers.answer(token, conversation_id=tracker.sender_id, email=email, accept=False, now=now_utc())
        except offers.OfferUnavailable:
            pass  # already answered, withdrawn or expired: declining it changes nothing either way
    dispatcher.utter_message(response=actions_for(offer.kind).declined if offer is not None
                             else "utter_nothing_changed")
    return CLEARED


def restate(dispatcher: CollectingDispatcher, tracker: Tracker, token: str) -> list[dict[str, Any]]:
    """Ask the waiting offer's question again, as a new offer on the same terms, so that the
    customer's next yes answers a question they have just seen."""
    offer = offers.find(token)
    if offer is None or prove(tracker).email is None:
        return CLEARED
    return actions_for(offer.kind).restate(dispatcher, tracker, offer)
