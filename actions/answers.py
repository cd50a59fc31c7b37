"""The customer's yes and no: the only way anything irreversible happens.

A yes carries out the offer made in the assistant's turn just before it (actions/offer_turns.py),
if that offer is still open, unexpired and the proven customer's (bot/app/offers.py); a
button names its offer, so a button on an older message answers nothing. A yes to anything
else changes nothing and says so. A no declines the waiting offer, or simply moves on. What
an offer does on a yes is its kind's (actions/offer_kinds.py).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ask_for_proof, identify_form_after, prove
from actions.offer_kinds import actions_for
from actions.offer_turns import (LOOK_AGAIN_SLOT, OFFER_SLOT, ask_to_look_again, offer_of_previous_turn, pressed_offer,
                                 set_in_previous_turn)
from actions.requests import answer_request, look_again
from actions.topic_questions import answer_in_context, case_in_hand
from actions.waiting_offer import CLEARED, decline, restate
from bot.app import offers
from bot.clock import now_utc
from bot.core.decline_words import sounds_like_no
from bot.core.declining import declines
from bot.core.yes_words import request_named


class ActionAnswerYes(Action):
    def name(self) -> str:
        return "action_answer_yes"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        flipped = SlotSet("answered_yes", not tracker.get_slot("answered_yes"))  # see domain.yml
        return [flipped, *self.answer(dispatcher, tracker, domain)]

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        waiting, pressed = offer_of_previous_turn(tracker.events), pressed_offer(tracker)
        if pressed and pressed != waiting:
            return nothing_waiting(dispatcher, tracker, "utter_old_button")
        if not waiting:
            again = set_in_previous_turn(tracker.events, LOOK_AGAIN_SLOT)
            if again:
                return CLEARED + look_again(dispatcher, tracker, domain, again)
            named = None if pressed else request_named(tracker.latest_message.get("text"))
            if named:  # "ok cancel it" after an answer that offered nothing: that request, with its own offer
                return CLEARED + look_again(dispatcher, tracker, domain, named)
            if not pressed and case_in_hand(dispatcher, tracker):  # "ok, go ahead" to a case already open
                return CLEARED
            return nothing_waiting(dispatcher, tracker, "utter_nothing_to_confirm")
        if not pressed and sounds_like_no(tracker.latest_message.get("text")):
            # "yes but wait": not a plain yes, so not consent; the offer stays for a plain answer
            dispatcher.utter_message(response="utter_yes_or_no")
            return restate(dispatcher, tracker, waiting)
        proof = prove(tracker)
        email = proof.email
        if email is None:
            # Not (or no longer) proven, say by a sign-in that ran out with the chat open: prove
            # who it is with a code, then the request afresh, so any offer is new and gets its own yes.
            return CLEARED + ask_for_proof(dispatcher, tracker, proof, tracker.get_slot("last_request")) + \
                identify_form_after(proof)
        try:
            offer = offers.answer(waiting, conversation_id=tracker.sender_id, email=email, accept=True, now=now_utc())
        except offers.OfferUnavailable as unavailable:
            dispatcher.utter_message(response="utter_offer_expired" if unavailable.reason == "expired"
                                     else "utter_nothing_to_confirm")
            return CLEARED
        return CLEARED + actions_for(offer.kind).carry_out(dispatcher, tracker, email, offer)


class ActionAnswerNo(Action):
    def name(self) -> str:
        return "action_answer_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        waiting, pressed = offer_of_previous_turn(tracker.events), pressed_offer(tracker)
        if waiting and not pressed and not declines(tracker.latest_message.get("text")):
            # read as a no, but a question about the offer or an objection: answered, the offer stands
            answered = answer_in_context(dispatcher, tracker, misread=True)
            if answered is not None:
                return answered + restate(dispatcher, tracker, waiting)
        if waiting and (not pressed or pressed == waiting):
            return decline(dispatcher, tracker, waiting)
        just_done = set_in_previous_turn(tracker.events, "topic") or {}
        email = prove(tracker).email
        if not pressed and just_done.get("kind") == "plan" and just_done.get("done") and email:
            # "cancel that" right after a switch: offer the way back (a new offer, for its own yes)
            return CLEARED + answer_request(dispatcher, tracker, email, "undo_change")
        dispatcher.utter_message(response="utter_anything_else")
        return CLEARED


def nothing_waiting(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[dict[str, Any]]:
    offers.withdraw_open(tracker.sender_id, now=now_utc())
    again = tracker.get_slot("last_request")
    dispatcher.utter_message(response=response)
    if again:
        return [SlotSet(OFFER_SLOT, None), *ask_to_look_again(dispatcher, again)]
    dispatcher.utter_message(response="utter_anything_else")
    return CLEARED

