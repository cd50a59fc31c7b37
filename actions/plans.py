"""Changing plans (R7): list the options, preview Stripe's amounts as an offer, change on a
yes to it, and change back the same way ("undo that")."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import offer_kinds, requests
from actions.cases import case_topic, tell_about_case
from actions.customer_action import CustomerAction
from actions.identity import answer_when_identified, reader_of, verified_email
from actions.offer_turns import ask_to_look_again, offer_buttons, offered
from actions.transcript import customer_words
from actions.what_if import answer_what_if, asked_hypothetically
from bot.app import offers
from bot.app.handoff import request_person
from bot.app.plan_changes import CannotChangePlan, QuoteUnconfirmed, change_plan, plan_options, preview_plan_change
from bot.app.results import Direction, PlanChangeStatus
from bot.billing.gateway import GatewayError
from bot.clock import now_utc
from bot.core import messages
from bot.core.formatting import Reader, money
from bot.core.plans import Plan, UnknownPlan, match_plan
from bot.core.statuses import OfferKind
from bot.db.models import Offer
from bot.settings import load_plans, load_policy

PREVIEW_RESPONSE = {Direction.CHARGE: "utter_plan_preview_charge", Direction.CREDIT: "utter_plan_preview_credit",
                    Direction.NONE: "utter_plan_preview_no_proration",
                    Direction.NEW_PERIOD: "utter_plan_preview_new_period"}
NOT_CHOSEN = [SlotSet("pending_plan", None)]


def label(plan: Plan, reader: Reader) -> str:
    return f"{plan.display_name}, {money(plan.price, plan.currency, reader)} a {plan.interval}"


def _requested_plan(tracker: Tracker) -> str | None:
    """A plan id from a button (`/change_plan{"plan": ...}`) or the slot kept over identification."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "plan":
            return str(entity.get("value"))
    return tracker.get_slot("pending_plan")


def offer_plan_change(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    available, reader = plan_options(email), reader_of(tracker)
    if not available.options:
        dispatcher.utter_message(response="utter_no_plan_to_change")
        return NOT_CHOSEN
    wanted = _requested_plan(tracker)
    chosen = next((p for p in available.options if p.id == wanted), None) or match_plan(
        tracker.latest_message.get("text") or "", available.current, list(available.options))
    if chosen is not None:
        return preview(dispatcher, tracker, email, chosen.id)
    price, currency, interval = available.current_price
    dispatcher.utter_message(response="utter_change_plan_in_trial" if available.in_trial else "utter_change_plan_terms")
    dispatcher.utter_message(
        response="utter_plan_options", current=f"{available.current_name}, {money(price, currency, reader)} a "
                                               f"{interval}",
        buttons=[{"title": label(p, reader), "payload": f'/change_plan{{"plan":"{p.id}"}}'}
                 for p in available.options])
    return NOT_CHOSEN + [SlotSet("last_request", "change_plan")]


def preview(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, plan_id: str,
            restating: bool = False) -> list[dict[str, Any]]:
    reader, now = reader_of(tracker), now_utc()
    try:
        quote = preview_plan_change(email, plan_id, at=now)
    except (CannotChangePlan, UnknownPlan) as exc:
        dispatcher.utter_message(response="utter_cannot_change_plan", why=str(exc))
        return NOT_CHOSEN
    except GatewayError:
        dispatcher.utter_message(response="utter_payments_unreachable")
        return NOT_CHOSEN
    except QuoteUnconfirmed as unconfirmed:  # Stripe's figure is not its documented proration
        return _to_a_person(dispatcher, tracker, email, unconfirmed)
    plan = quote.plan
    offer = offers.make_offer(conversation_id=tracker.sender_id, channel=tracker.get_latest_input_channel(),
                              email=email, kind=OfferKind.PLAN_CHANGE, now=now,  # the moment quoted
                              valid_minutes=load_policy().decision_valid_minutes, plan_id=plan.id,
                              from_plan=quote.from_plan, amount=quote.prorated, currency=plan.currency)
    if restating:
        dispatcher.utter_message(response="utter_back_to_offer")
    response = PREVIEW_RESPONSE[quote.direction]
    if quote.direction is Direction.NEW_PERIOD and quote.left_as_credit:
        response = "utter_plan_preview_new_period_credit"
    dispatcher.utter_message(response=response, plan=label(plan, reader), interval=plan.interval,
                             price=money(plan.price, plan.currency, reader),
                             # a new period's invoice is charged now; within a period the proration waits
                             amount=money(quote.next_invoice if quote.direction is Direction.NEW_PERIOD
                                          else abs(quote.prorated), plan.currency, reader),
                             credit=money(abs(quote.prorated), plan.currency, reader),
                             left=money(quote.left_as_credit, plan.currency, reader),
                             next_invoice=money(quote.next_invoice, plan.currency, reader),
                             buttons=offer_buttons(offer.token, "Yes, switch", "No, keep my plan"))
    topic = {"kind": "plan", "plan": plan.display_name, "prorated": quote.prorated, "currency": plan.currency,
             "next_invoice": quote.next_invoice, "direction": quote.direction.value,
             "left_as_credit": quote.left_as_credit, "interval": plan.interval}
    return [SlotSet("pending_plan", None), SlotSet("topic", topic), SlotSet("last_request", "change_plan"),
            *offered(offer.token)]


def _to_a_person(dispatcher: CollectingDispatcher, tracker: Tracker, email: str,
                 unconfirmed: QuoteUnconfirmed) -> list[dict[str, Any]]:
    """No figure the processor disagrees with is offered: a person checks it, with why."""
    reader = reader_of(tracker)
    dispatcher.utter_message(response="utter_plan_quote_unconfirmed", plan=label(unconfirmed.plan, reader))
    summary = request_person(
        email, now=now_utc(), channel=tracker.get_latest_input_channel(), conversation_id=tracker.sender_id,
        note=customer_words(tracker, ["change_plan"]),
        team_note=f"The assistant did not offer the switch to {unconfirmed.plan.display_name}: {unconfirmed.why}")
    tell_about_case(dispatcher, summary, reader)
    return NOT_CHOSEN + [SlotSet("topic", case_topic(summary))]


def restate(dispatcher: CollectingDispatcher, tracker: Tracker, offer: Offer) -> list[dict[str, Any]]:
    return preview(dispatcher, tracker, verified_email(tracker), offer.plan_id, restating=True)


def carry_out(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, offer: Offer) -> list[dict[str, Any]]:
    reader = reader_of(tracker)
    try:
        result = change_plan(email, offer.plan_id, consent=offer.token)
    except (CannotChangePlan, UnknownPlan) as exc:
        dispatcher.utter_message(response="utter_cannot_change_plan", why=str(exc))
        return NOT_CHOSEN
    if result.status is PlanChangeStatus.OUTDATED:  # quote again, for a yes to today's terms
        dispatcher.utter_message(text=messages.PLAN_QUOTE_OUTDATED)
        return [SlotSet("pending_plan", offer.plan_id), SlotSet("topic", None),
                *ask_to_look_again(dispatcher, "change_plan")]
    response = {PlanChangeStatus.CHANGED: "utter_plan_changed",
                PlanChangeStatus.PENDING: "utter_plan_change_pending"}.get(
        result.status, "utter_plan_change_failed")
    dispatcher.utter_message(response=response, plan=label(result.plan, reader))
    topic = {"kind": "plan", "plan": result.plan.display_name, "done": True}
    return NOT_CHOSEN + [SlotSet("topic", topic), SlotSet("last_request", None)]


def undo_change(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    """"Change it back": the plan this conversation last switched away from, offered again."""
    last = offers.last_plan_change(tracker.sender_id)
    if last is None and (tracker.get_slot("topic") or {}).get("kind") not in ("plan", "plans"):
        # "I want it back" with no switch made and no plan talked about (ivy, make run 2026-12-07): the money
        return requests.answer_request(dispatcher, tracker, email, "request_refund")
    if last is None or last.from_plan is None:
        dispatcher.utter_message(response="utter_nothing_to_undo")
        return []
    if last.from_plan not in load_plans():
        dispatcher.utter_message(response="utter_cannot_change_plan",
                                 why="your previous plan is no longer offered, so a person can help you return")
        return []
    return preview(dispatcher, tracker, email, last.from_plan)


class ActionOfferPlanChange(CustomerAction):
    restates_offer = False  # a new request replaces what was offered before it

    def name(self) -> str:
        return "action_offer_plan_change"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if asked_hypothetically(tracker):  # "what would I pay if I switched?": no quote, no offer
            return answer_what_if(dispatcher, tracker)
        return answer_when_identified(
            dispatcher, tracker, lambda email: offer_plan_change(dispatcher, tracker, email),
            remember=[SlotSet("pending_plan", _requested_plan(tracker))])


class ActionUndoChange(CustomerAction):
    restates_offer = False  # a new request replaces what was offered before it

    def name(self) -> str:
        return "action_undo_change"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(dispatcher, tracker, lambda email: undo_change(dispatcher, tracker, email))


# Undoing a switch offers a plan change back, so it is no kind of its own.
offer_kinds.register(OfferKind.PLAN_CHANGE, carry_out=carry_out, restate=restate, declined="utter_plan_unchanged")
requests.register("change_plan",
                  lambda dispatcher, tracker, email, intent: offer_plan_change(dispatcher, tracker, email))
requests.register("undo_change", lambda dispatcher, tracker, email, intent: undo_change(dispatcher, tracker, email))
