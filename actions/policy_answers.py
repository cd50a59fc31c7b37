"""Answers about the terms (numbers from the policy file, never the domain), and about what
the assistant is for when a message is small talk or out of its scope."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import signed_in_account
from actions.offer_turns import person_offered
from actions.plan_answers import answer_plans
from actions.quick_replies import CANCEL, CHANGE_PLAN, GET_REFUND, MY_PLAN, PERSON
from actions.topic_questions import answer_in_context, answer_question, asked_in_context
from actions.unmatched import ReadsUnmatched, language_of, unmatched_reply
from actions.what_if import answer_if_hypothetical
from bot.app.case_status import case_state
from bot.core.asking import TEXTS_ANSWER_KEY, UNSURE_BELOW
from bot.core.conversation_ids import EMAIL
from bot.core.farewell import GRUDGING_ACCEPTANCE, accepts_grudgingly
from bot.core.mentions import asks_for_money
from bot.core.plan_facts import asks_about_allowances, compares_the_plans
from bot.settings import load_policy

# intent -> (response, follow-up topic)
TERMS = {  # intent: (response, follow-up topic, the next steps offered)
    "ask_free_trial": ("utter_free_trial", "free_trial", [MY_PLAN, CANCEL]),
    "ask_refund_fee": ("utter_refund_fee", "refund_fee", [GET_REFUND, PERSON]),
    "ask_billing_cycle": ("utter_billing_cycle", "billing_cycle", [MY_PLAN, CHANGE_PLAN]),
    "ask_failed_payment": ("utter_failed_payment", "failed_payment", [MY_PLAN, PERSON]),
    "ask_export_data": ("utter_export_data", "export_data", [CANCEL, PERSON]),
}
SCOPE = {"chitchat": "utter_chitchat", "out_of_scope": "utter_out_of_scope"}
HUMAN_BUTTON = [PERSON]


def explain_terms(dispatcher: CollectingDispatcher, intent: str, *, can_cancel: bool = True) -> list[dict[str, Any]]:
    """Say the terms answer for `intent`, with "Cancel my subscription" among its next steps only
    while there is a renewal to stop; returns the follow-up topic it sets."""
    policy = load_policy()
    response, topic, steps = TERMS[intent]
    steps = [step for step in steps if can_cancel or step is not CANCEL]
    dispatcher.utter_message(response=response, brand=policy.brand, trial_days=policy.trial_days,
                             fee_percent=policy.fee_percent_text, window_hours=policy.late_cancel_window_hours,
                             support_email=policy.support_email, buttons=steps)
    return [SlotSet("topic", {"kind": "terms", "topic": topic})]


def explain_scope(dispatcher: CollectingDispatcher, intent: str | None) -> None:
    """What the assistant helps with, and a person, for anything it can't answer."""
    dispatcher.utter_message(response=SCOPE.get(intent, "utter_out_of_scope"), brand=load_policy().brand,
                             buttons=HUMAN_BUTTON)


def told_the_open_case_has_it(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Said, for a message the assistant could not place, that the conversation's open case has it
    (its people read what is written here); False when there is no open case."""
    case = case_state(case_id=None, conversation_id=tracker.sender_id, email=None)
    if case is not None:
        dispatcher.utter_message(response="utter_not_understood_case_open", case_id=case["case_id"])
    return case is not None


def answer_unmatched(dispatcher: CollectingDispatcher, tracker: Tracker, *, unmatched: bool) -> list | None:
    """What a message no intent covers gets before "I can't help with that", or None: a what-if
    ("say I'd forgotten to cancel, would that be refunded?"), a question about the topic the model
    had no intent for, then what the conversation, the message's language or the company's texts
    answer. Small talk (`unmatched` False) is only asked of the topic."""
    if unmatched:
        what_if = answer_if_hypothetical(dispatcher, tracker)
        if what_if is not None:
            return what_if
    answered = answer_in_context(dispatcher, tracker) if asked_in_context(tracker) else None
    if answered is not None:
        return answered
    text, language, topic = tracker.latest_message.get("text") or "", language_of(tracker), tracker.get_slot("topic")
    if language and tracker.get_latest_input_channel() == EMAIL:
        return []  # by email a person answers it, and the reply names the case (channels/email.py)
    if unmatched and not language and accepts_grudgingly(text) and tracker.get_latest_input_channel() != EMAIL:
        # "that seems harsh but ok": neither a question for the texts nor something to say again
        dispatcher.utter_message(text=GRUDGING_ACCEPTANCE, buttons=HUMAN_BUTTON)
        return person_offered()
    if unmatched and not language and (asks_about_allowances(text) or compares_the_plans(text, topic)):
        # "how many users can we have?", "what's the difference?" after the plans
        return answer_plans(dispatcher, tracker)
    if unmatched and not language and asks_for_money(text):
        # The texts' nearest passage to "can I get some money back for the days it was down" is the
        # FAQ's "does not offer refunds", which the rules' exceptions contradict: ask what happened;
        # by email, say nothing, and the mail channel hands it to a person (channels/email.py).
        if tracker.get_latest_input_channel() != EMAIL:
            dispatcher.utter_message(response="utter_money_back_what_happened", buttons=HUMAN_BUTTON)
        return [SlotSet("topic", None)]  # "why?" next is not about what was said before it
    if _guess_by_email(tracker):
        return None
    reply = unmatched_reply(text, topic, language,
                            by_email=tracker.get_latest_input_channel() == EMAIL) if unmatched else None
    if reply is None:
        return None
    said, events = reply
    # One button only: a "try again" button must not send /affirm, which could confirm an offer.
    dispatcher.utter_message(text=said, buttons=HUMAN_BUTTON)
    return events


class ActionExplainPolicy(ReadsUnmatched):
    def name(self) -> str:
        return "action_explain_policy"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "ask_refund_fee" and (tracker.get_slot("topic") or {}).get("fee"):
            # "is the fee taken out of that?" about a refund just decided: its own figures, not the rule
            return answer_question(dispatcher, tracker, "how_much")
        if intent in TERMS:
            return explain_terms(dispatcher, intent, can_cancel=_renews(tracker))
        answered = answer_unmatched(dispatcher, tracker, unmatched=intent == "out_of_scope")
        if answered is not None:
            return answered
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence", 1.0)
        if intent == "out_of_scope" and confidence < UNSURE_BELOW and tracker.get_latest_input_channel() != EMAIL:
            # "can i add a note that I am travelling", barely read as off topic: as with what is not
            # understood, the conversation's open case has it, and its people read it
            if told_the_open_case_has_it(dispatcher, tracker):
                return []
        explain_scope(dispatcher, intent)
        return []


def _renews(tracker: Tracker) -> bool:
    """Whether a proven customer has a renewal left to stop (a visitor may well have one)."""
    own = signed_in_account(tracker)
    if own is None:
        return True
    return own.account.subscription is not None and own.account.subscription.renews


def _guess_by_email(tracker: Tracker) -> bool:
    """A mail's sentence the model did not understand, on no topic, that the knowledge gate did not
    find the texts clear on (its threshold is chosen on the mail corpus): their nearest passage would
    be a guess ("please see below, can you answer this?" is not the terms' contact line), so a person
    answers it. What the model read as out of scope is still asked of the texts, as in a chat."""
    latest = tracker.latest_message
    return tracker.get_latest_input_channel() == EMAIL and not tracker.get_slot("topic") and \
        (latest.get("intent") or {}).get("name") == "nlu_fallback" and not latest.get(TEXTS_ANSWER_KEY)
