"""The base of every action a customer's request starts: a waiting offer is declined or
asked again around it, so a yes always answers a question the customer has just seen."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.offer_turns import OFFER_SLOT, offer_of_previous_turn
from actions.quick_replies import PERSON
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

    def restates_offer_after(self, tracker: Tracker) -> bool:
        """Whether the offer waiting is asked again after this turn's answer (`restates_offer`, unless
        the action knows the message asked a question rather than for something new)."""
        return self.restates_offer

    def goes_on_after_a_no(self, tracker: Tracker) -> bool:
        """Whether a message that holds the offer back still asks this action for something new
        ("wait, I did try to cancel in time": a new fact to decide on)."""
        return False

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        waiting = offer_of_previous_turn(tracker.events)
        text, intent = tracker.latest_message.get("text"), (tracker.latest_message.get("intent") or {}).get("name")
        if waiting and declines(text):  # a question about it is no decline
            declined = decline(dispatcher, tracker, waiting) + [SlotSet("needs_identity", False)]
            # "no forget it, what does pro have?": the no is heard, then the question answered
            go_on = asks_besides(text, intent) or self.goes_on_after_a_no(tracker)
            return declined + self.respond(dispatcher, tracker, domain) if go_on else declined
        events = self.respond(dispatcher, tracker, domain)
        if waiting and self.restates_offer_after(tracker) and not any(e.get("name") == OFFER_SLOT for e in events):
            answered = _without_buttons(dispatcher.messages)
            events += restate(dispatcher, tracker, waiting)
            _offer_a_person_too(dispatcher.messages[len(answered):], answered)
        return events


def _without_buttons(messages: list[dict]) -> list[dict]:
    """The answer's messages, their buttons taken off: the restated offer's are the turn's one set
    of choices (two sets, and "Cancel my subscription" beside "Yes, refund me", left people unsure
    which a yes or a typed "1" chose). Returns the messages as they were."""
    before = [dict(message) for message in messages]
    for message in messages:
        message["buttons"] = []
    return before


def _offer_a_person_too(restated: list[dict], answered: list[dict]) -> None:
    """A person the answer offered stays one press away, on the restated offer."""
    person = next((button for message in answered for button in message.get("buttons") or []
                   if button.get("payload") == PERSON["payload"]), None)
    offer = next((message for message in reversed(restated) if message.get("buttons")), None)
    if person and offer and all(b.get("payload") != PERSON["payload"] for b in offer["buttons"]):
        offer["buttons"] = [*offer["buttons"], person]
