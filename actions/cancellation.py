"""Cancelling at period end: offered, and carried out through the ledger only on a yes to it."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import offer_kinds, requests
from actions.cases import tell_about_case
from actions.customer_action import CustomerAction
from actions.identity import answer_when_identified, reader_of, signed_in_account, verified_email
from actions.offer_turns import offer_buttons, offered
from actions.own_facts import answer_trial_question, on_the_trial
from actions.transcript import customer_words
from actions.quick_replies import PERSON
from actions.what_if import answer_what_if, asked_hypothetically
from bot.app import offers
from bot.app.account import cancel_at_period_end, renewal
from bot.app.results import CancellationStatus
from bot.app.reviews import open_review_once_cancelled
from bot.clock import now_utc
from bot.core.asking import asks_trial_terms
from bot.core.messages import access_until
from bot.core.statuses import OfferKind
from bot.db.models import Offer
from bot.settings import load_policy

# the renewal is stopped, or will be: the customer agreed
STOPPED = (CancellationStatus.CANCELLED, CancellationStatus.NOT_RENEWING, CancellationStatus.PENDING)
REFUND_INTENTS = ("request_refund", "late_cancellation", "unused_account", "forgot_subscription")
RESULT_RESPONSE = {CancellationStatus.CANCELLED: "utter_cancelled_at_period_end",
                   CancellationStatus.NOT_RENEWING: "utter_not_renewing",
                   CancellationStatus.PENDING: "utter_cancel_pending"}


def offer_cancellation(dispatcher: CollectingDispatcher, tracker: Tracker, email: str,
                       restating: bool = False, refused: dict | None = None,
                       review: int | None = None, proposal: dict | None = None) -> list[dict[str, Any]]:
    """Offer to stop the renewal; `refused` is the refund decision it follows, if any, which a
    "why not?" asks about (and a restated offer still follows). After a refusal a person is
    one button away too. `review`: the R2 decision a person reviews once the customer says yes
    (bot/app/reviews.py), which the offer carries, and `proposal` that decision, which "how much would
    I get?" and "why is a person deciding?" ask about."""
    now, reader = now_utc(), reader_of(tracker)
    state = renewal(email, now=now)
    until = access_until(state.access_until, reader, now)
    if restating:
        before = tracker.get_slot("topic") or {}
        refused, proposal = refused or before.get("refused"), proposal or before.get("proposal")
    topic = {"kind": "cancel", "access_until": state.access_until.isoformat() if state.access_until else None,
             **({"refused": refused} if refused else {}), **({"review": True} if review else {}),
             **({"proposal": proposal} if proposal else {})}
    person = [PERSON] if refused else []
    if not state.renews:
        response = "utter_not_renewing" if state.access_until else "utter_subscription_ended"
        dispatcher.utter_message(response=response, access_until=until, buttons=person)
        return [SlotSet("topic", {**topic, "done": True})]
    offer = offers.make_offer(conversation_id=tracker.sender_id, channel=tracker.get_latest_input_channel(),
                              email=email, kind=OfferKind.CANCEL_AT_PERIOD_END, now=now,
                              valid_minutes=load_policy().decision_valid_minutes, decision_id=review)
    dispatcher.utter_message(response="utter_restate_cancel" if restating else "utter_offer_cancel_at_period_end",
                             access_until=until,
                             buttons=offer_buttons(offer.token, "Yes, stop the renewal", "No, keep it") + person)
    return [SlotSet("topic", topic), SlotSet("last_request", "cancel_subscription"), *offered(offer.token)]


def restate(dispatcher: CollectingDispatcher, tracker: Tracker, offer: Offer) -> list[dict[str, Any]]:
    return offer_cancellation(dispatcher, tracker, verified_email(tracker), restating=True, review=offer.decision_id)


def carry_out(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, offer: Offer) -> list[dict[str, Any]]:
    now = now_utc()
    result = cancel_at_period_end(email, consent=offer.token, review=offer.decision_id)
    dispatcher.utter_message(response=RESULT_RESPONSE.get(result.status, "utter_cancel_failed"),
                             access_until=access_until(result.access_until, reader_of(tracker), now))
    until = result.access_until.isoformat() if result.access_until else None
    done = [SlotSet("topic", {"kind": "cancel", "access_until": until, "done": True}), SlotSet("last_request", None)]
    if offer.decision_id is not None and result.status in STOPPED:
        return done + review_once_cancelled(dispatcher, tracker, email, offer)
    return done


def review_once_cancelled(dispatcher: CollectingDispatcher, tracker: Tracker, email: str,
                          offer: Offer) -> list[dict[str, Any]]:
    """The renewal is stopped for an R2 refund request: now a person reviews it (the rules, R2)."""
    review = open_review_once_cancelled(
        offer.decision_id, email=email, consent=offer.token, now=now_utc(), channel=tracker.get_latest_input_channel(),
        conversation_id=tracker.sender_id, note=customer_words(tracker, REFUND_INTENTS))
    tell_about_case(dispatcher, review.case, reader_of(tracker))
    topic = {"kind": "decision", **{key: getattr(review, key) for key in ("rule", "refund", "fee", "base", "currency",
                                                                           "case_id", "case_due")}}
    return [SlotSet("topic", topic)]


class ActionOfferCancellation(CustomerAction):
    restates_offer = False  # a new request replaces what was offered before it

    def name(self) -> str:
        return "action_offer_cancellation"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if asked_hypothetically(tracker):  # "what if I cancelled?": answered, nothing offered
            return answer_what_if(dispatcher, tracker)
        if asks_trial_terms(tracker.latest_message.get("text"), on_the_trial=on_the_trial(tracker)):
            # the customer's own trial carries a cancel button
            return answer_trial_question(dispatcher, tracker, signed_in_account(tracker))
        return answer_when_identified(dispatcher, tracker, lambda email: offer_cancellation(dispatcher, tracker, email))


offer_kinds.register(OfferKind.CANCEL_AT_PERIOD_END, carry_out=carry_out, restate=restate,
                     declined="utter_nothing_changed")
requests.register("cancel_subscription", lambda dispatcher, tracker, email, intent: offer_cancellation(
    dispatcher, tracker, email))
