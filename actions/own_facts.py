"""The customer's own facts (issue 28, class 4): the trial's days left and end, the last and next
payment, whether a known incident is over, what the plans cost and include. Each answer reads the
account and says it in the customer's money, dates and time zone (bot/core/facts.py); none records,
opens or moves anything, and an offer waiting for its yes is asked again after it (CustomerAction)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import requests
from actions.customer_action import CustomerAction
from actions.identity import (account_of, answer_when_identified, identify_then, prove, reader_of,
                              signed_in_account)
from actions.plan_answers import answer_plans
from actions.policy_answers import explain_terms
from actions.quick_replies import CANCEL, CHANGE_PLAN, MY_PLAN, PERSON
from actions.transcript import latest_customer_event
from actions.what_if import answer_what_if, asked_hypothetically
from bot.app.case_status import refund_case_state
from bot.app.account import account_summary, renewal
from bot.app.own_facts import OwnAccount, own_account_or_none
from bot.clock import now_utc
from bot.core import facts, messages
from bot.core.asking import asks_minimum_term, follow_up_kind
from bot.core.mentions import asks_for_amends
from bot.core.plans import asks_to_switch, options_for
from bot.core.refund_status import any_refund, refund_status_answer
from bot.settings import load_plans

def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def answer_account(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    """The facts the words ask for (next or last payment, plan, trial), else the whole summary."""
    now, reader, own = now_utc(), reader_of(tracker), own_account_or_none(email)
    if own is None:
        dispatcher.utter_message(response="utter_no_account")
        return []
    sub = own.account.subscription
    if sub is None:
        dispatcher.utter_message(text=messages.NO_SUBSCRIPTION, buttons=[PERSON])
        return [SlotSet("last_request", "check_subscription")]
    asked = facts.facts_asked(_text(tracker))
    said = facts.account_answer(own.account, own.plan_name, asked, reader, now)
    if said is None:  # nothing in particular: the whole summary
        said = account_summary(email, now=now, reader=reader)
    dispatcher.utter_message(text=said, buttons=[CHANGE_PLAN, *([CANCEL] if sub.renews else []), PERSON])
    topic = facts.trial_topic(sub, own.plan_name) if asked[:1] == ("trial",) else \
        facts.account_topic(sub, renewal(email, now=now).access_until, charges=own.account.charges,
                            plan_name=own.plan_name, now=now)
    return [SlotSet("topic", topic), SlotSet("last_request", "check_subscription")]


def answer_trial(dispatcher: CollectingDispatcher, tracker: Tracker,
                 own: OwnAccount | None) -> list[dict[str, Any]] | None:
    """A customer in their trial: its days left, end and what is charged then; None otherwise."""
    sub = own.account.subscription if own else None
    if sub is None or sub.status != "trialing":
        return None
    reader, now, extension = reader_of(tracker), now_utc(), facts.asks_to_extend_trial(_text(tracker))
    said = facts.trial_answer(sub, own.plan_name, reader, now)
    dispatcher.utter_message(text=f"{facts.TRIAL_EXTENSION} {said}" if extension else said,
                             buttons=[*([CANCEL] if sub.renews else []), MY_PLAN, PERSON])
    return [SlotSet("topic", facts.trial_topic(sub, own.plan_name, extension_asked=extension))]


class ActionAnswerTrial(CustomerAction):
    """Trial questions: the customer's own trial when they are signed in and in one, the terms otherwise."""

    def name(self) -> str:
        return "action_answer_trial"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if asked_hypothetically(tracker):
            return answer_what_if(dispatcher, tracker)
        proof = prove(tracker)
        if proof.email is None and facts.asks_own_trial(_text(tracker)):
            # A visitor's "how long until my trial runs out": who they are first, then their own trial.
            return identify_then(dispatcher, tracker, proof, "ask_free_trial")
        own = account_of(proof.email)
        if own and _asks_to_switch(own, _text(tracker)):
            # "can I switch to Starter before my trial is over" is a plan change that names the trial
            return requests.answer_request(dispatcher, tracker, own.account.email, "change_plan")
        return answer_trial_question(dispatcher, tracker, own)


def _asks_to_switch(own: OwnAccount, text: str) -> bool:
    sub = own.account.subscription
    return sub is not None and asks_to_switch(text, own.plan, options_for(sub.plan, sub.currency, load_plans()))


def answer_trial_question(dispatcher: CollectingDispatcher, tracker: Tracker,
                          own: OwnAccount | None) -> list[dict[str, Any]]:
    """The customer's own trial when they are signed in and in one, the trial's terms otherwise."""
    answered = answer_trial(dispatcher, tracker, own)
    if answered is not None:
        return answered
    if facts.asks_to_extend_trial(_text(tracker)):  # "can you extend the trial?": not mine to do, then the terms
        dispatcher.utter_message(text=facts.TRIAL_EXTENSION, buttons=[PERSON])
    return explain_terms(dispatcher, "ask_free_trial")


requests.register("ask_free_trial", lambda dispatcher, tracker, email, intent: answer_trial_question(
    dispatcher, tracker, own_account_or_none(email)))


def on_the_trial(tracker: Tracker) -> bool:
    """Whether the conversation is on the trial: the customer's own, or its terms."""
    topic = tracker.get_slot("topic") or {}
    return topic.get("kind") == "trial" or (topic.get("kind") == "terms" and topic.get("topic") == "free_trial")


class ActionAnswerBilling(CustomerAction):
    """Billing questions: "and on yearly billing?" right after a plan's price asks that plan's yearly
    price; a customer in their trial also hears when the first payment is taken; else the terms."""

    def name(self) -> str:
        return "action_answer_billing"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if (tracker.get_slot("topic") or {}).get("kind") == "plans":
            return ActionAnswerPlans().respond(dispatcher, tracker, domain)
        if asks_minimum_term(_text(tracker)):  # "is there a minimum commitment?": no, first
            dispatcher.utter_message(response="utter_no_minimum_term", buttons=[MY_PLAN, CHANGE_PLAN])
            events = [SlotSet("topic", {"kind": "terms", "topic": "billing_cycle"})]
        else:
            events = explain_terms(dispatcher, "ask_billing_cycle")
        answered = answer_trial(dispatcher, tracker, signed_in_account(tracker))
        return answered if answered is not None else events


class ActionAnswerPlans(CustomerAction):
    """What plans cost and include: no identity needed; a signed-in customer's plan is set beside."""

    def name(self) -> str:
        return "action_answer_plans"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if asks_for_amends(_text(tracker), (tracker.get_slot("topic") or {}).get("kind")):
            # "can you at least give me a discount for the trouble?" after a ticket: the rules decide it
            return answer_when_identified(dispatcher, tracker, lambda email: requests.answer_request(
                dispatcher, tracker, email, "request_refund"))
        return answer_plans(dispatcher, tracker)


def answer_incident(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    """Where the incident the customer asks about stands: a status, never a claim (no case)."""
    own = own_account_or_none(email)
    if own is None:
        dispatcher.utter_message(response="utter_no_account")
        return []
    now, asked, incidents = now_utc(), _text(tracker), own.account.incidents
    # "Is it a known issue?" is about the problem they reported, if they did: an incident that
    # neither names is told as one we know of, never as theirs.
    reported = (latest_customer_event(tracker, ["technical_problem"]) or {}).get("text")
    incident = facts.incident_named(incidents, asked, now) or facts.incident_named(incidents, reported, now)
    named = incident is not None or not (reported or facts.KNOWN_QUESTION.search(asked))
    incident = incident or facts.latest_incident(incidents, now)
    before = tracker.get_slot("topic") or {}
    again = before.get("kind") == "incident" and incident is not None and before.get("feature") == incident.feature
    question = follow_up_kind(asked) if again else None
    # "how long has it been down now?" right after its status: the question's answer, not the status again
    said = facts.follow_up(question, facts.incident_topic(incident), reader=reader_of(tracker), now=now) \
        if question in ("when", "why") else None
    dispatcher.utter_message(text=said or facts.incident_answer(incident, reader_of(tracker), now, asked=asked,
                                                                named=named), buttons=[PERSON])
    # The credit case this conversation opened for an outage stays what "do I get anything?" asks about.
    credit = before if before.get("kind") == "decision" and before.get("rule") == "R5" else before.get("credit_case")
    return [SlotSet("topic", {**facts.incident_topic(incident), **({"credit_case": credit} if credit else {})})]


def answer_refund_status(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> list[dict[str, Any]]:
    """"Where is my refund?": the latest refund made and when it should be on the card, or the case
    that decides it (no new case)."""
    own = own_account_or_none(email)
    if own is None:
        dispatcher.utter_message(response="utter_no_account")
        return []
    now = now_utc()
    case = None if any_refund(own.account, now) else refund_case_state(email)
    dispatcher.utter_message(text=refund_status_answer(own.account, reader_of(tracker), now, case), buttons=[PERSON])
    # "has anyone looked at it yet?" is then about the case told
    return [SlotSet("topic", {"kind": "case", "case_id": case["case_id"], "case_due": case["due"]} if case else None)]


class ActionAnswerIncidentStatus(CustomerAction):
    def name(self) -> str:
        return "action_answer_incident_status"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return answer_when_identified(dispatcher, tracker, lambda email: answer_incident(dispatcher, tracker, email))


requests.register("ask_incident_status",
                  lambda dispatcher, tracker, email, intent: answer_incident(dispatcher, tracker, email))
