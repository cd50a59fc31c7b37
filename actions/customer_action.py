"""The base of every action a customer's request starts: a waiting offer is declined or
asked again around it, so a yes always answers a question the customer has just seen."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.offer_turns import OFFER_SLOT, offer_of_previous_turn
from actions.waiting_offer import decline, restate
from bot.core.declining import asks_besides, declines


class CustomerAction(Action, ABC):
    """An action a customer's request starts. If an offer is waiting and the words decline
    it, whatever the model made of them ("I'd rather keep it" read as a plan question),
    the offer is declined, and a question asked after the no is answered (a question about it,
    "wait, why isn't it the full amount?", declines nothing: bot/core/declining.py); an answer
    that makes no offer of its own restates the waiting offer, so a yes after a digression
    answers a question the customer has just seen."""

    restates_offer = True

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        waiting = offer_of_previous_turn(tracker.events)
        text, intent = tracker.latest_message.get("text"), (tracker.latest_message.get("intent") or {}).get("name")
        if waiting and declines(text):  # a question about it is no decline
            declined = decline(dispatcher, tracker, waiting) + [SlotSet("needs_identity", False)]
            # "no forget it, what does pro have?": the no is heard, then the question answered
            return declined + self.respond(dispatcher, tracker, domain) if asks_besides(text, intent) else declined
        events = self.respond(dispatcher, tracker, domain)
        if waiting and self.restates_offer and not any(e.get("name") == OFFER_SLOT for e in events):
            events += restate(dispatcher, tracker, waiting)
        return events
