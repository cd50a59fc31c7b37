"""The customer's yes and no: the only way anything irreversible happens.

A yes carries out the offer made in the assistant's turn just before it (actions/consent.py),
if that offer is still open, unexpired and the proven customer's (bot/app/offers.py); a
button names its offer, so a button on an older message answers nothing. A yes to anything
else changes nothing and says so. A no declines the waiting offer, or simply moves on.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import cancellation, plans, refunds
from actions.consent import (LOOK_AGAIN_SLOT, OFFER_SLOT, ask_to_look_again, offer_of_previous_turn, pressed_offer,
                             set_in_previous_turn)
from actions.identity import ask_for_proof, prove
from actions.requests import look_again
from actions.topic_questions import answer_in_context, case_in_hand
from bot.app import offers
from bot.clock import now_utc
from bot.core.consent import sounds_like_no
from bot.core.declining import declines
from bot.core.statuses import OfferKind
from bot.db.models import Offer


class OfferKindActions(NamedTuple):
    carry_out: Callable[[CollectingDispatcher, Tracker, str, Offer], list]
    restate: Callable[[CollectingDispatcher, Tracker, Offer], list]
    declined: str  # the response when the customer says no


KINDS = {
    OfferKind.REFUND: OfferKindActions(refunds.carry_out, refunds.restate, "utter_nothing_changed"),
    OfferKind.CANCEL_AT_PERIOD_END: OfferKindActions(cancellation.carry_out, cancellation.restate,
                                                     "utter_nothing_changed"),
    OfferKind.PLAN_CHANGE: OfferKindActions(plans.carry_out, plans.restate, "utter_plan_unchanged"),
}
CLEARED = [SlotSet(OFFER_SLOT, None), SlotSet(LOOK_AGAIN_SLOT, None)]


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
            return CLEARED + ask_for_proof(dispatcher, proof, tracker.get_slot("last_request")) + [
                FollowupAction("identify_form")]
        try:
            offer = offers.answer(waiting, conversation_id=tracker.sender_id, email=email, accept=True, now=now_utc())
        except offers.OfferUnavailable as unavailable:
            dispatcher.utter_message(response="utter_offer_expired" if unavailable.reason == "expired"
                                     else "utter_nothing_to_confirm")
            return CLEARED
        return CLEARED + KINDS[offer.kind].carry_out(dispatcher, tracker, email, offer)


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
            return CLEARED + plans.undo_change(dispatcher, tracker, email)
        dispatcher.utter_message(response="utter_anything_else")
        return CLEARED


def decline(dispatcher: CollectingDispatcher, tracker: Tracker, token: str) -> list[dict[str, Any]]:
    """The customer said no to the waiting offer, in whatever words: nothing changes."""
    offer = offers.find(token)
    email = prove(tracker).email
    if offer is not None and email is not None:
        try:
            offers.answer(token, conversation_id=tracker.sender_id, email=email, accept=False, now=now_utc())
        except offers.OfferUnavailable:
            pass  # already answered, withdrawn or expired: declining it changes nothing either way
    dispatcher.utter_message(response=KINDS[offer.kind].declined if offer is not None else "utter_nothing_changed")
    return CLEARED


def restate(dispatcher: CollectingDispatcher, tracker: Tracker, token: str) -> list[dict[str, Any]]:
    """Ask the waiting offer's question again, as a new offer on the same terms, so that the
    customer's next yes answers a question they have just seen."""
    offer = offers.find(token)
    if offer is None or prove(tracker).email is None:
        return CLEARED
    return KINDS[offer.kind].restate(dispatcher, tracker, offer)


def nothing_waiting(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[dict[str, Any]]:
    offers.withdraw_open(tracker.sender_id, now=now_utc())
    again = tracker.get_slot("last_request")
    dispatcher.utter_message(response=response)
    if again:
        return [SlotSet(OFFER_SLOT, None), *ask_to_look_again(dispatcher, again)]
    dispatcher.utter_message(response="utter_anything_else")
    return CLEARED

