"""Questions about what the conversation is on, answered whichever action the model's reading
led to (bot/core/topic_questions.py says when a message is one): the follow-up action, the
fallback, small talk and "out of scope" all ask `question_in_context` first.

Where a case stands is read from the database; why a person decides, and "why not?" after a
refusal (in other words each time it is asked, bot/core/refusals.py), are said here; every other
question is the follow-up table's (bot/core/topic_answers.py). A question answered while an offer
waits is followed by the offer again (actions/waiting_offer.py), so it never closes the offer.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.offer_turns import offer_of_previous_turn
from actions import requests
from actions.identity import account_of, identify_then, prove, reader_of, verified_email
from actions.quick_replies import PERSON
from actions.transcript import said_since_the_message_began
from actions.unmatched import language_of
from bot.app.account import renewal
from bot.app.case_status import case_state
from bot.clock import now_utc
from bot.core import facts
from bot.core.asking import follow_up_kind
from bot.core.mentions import asks_for_amends
from bot.core import trial_follow_ups
from bot.core.topic_answers import adds_nothing, answer, asked_about
from bot.core.refusals import objects, objection, why_not
from bot.app.topic_facts import latest_refund
from bot.core.conversation_ids import EMAIL
from bot.core.case_words import case_status
from bot.core.topic_questions import (INTENT_QUESTIONS, OWN_QUESTIONS, STAND_INS, about_the_subscription,
                                      access_meanwhile, asks_about_oneself, case_of,
                                      charged_again, charged_on, come_back, decide_later, fee_kept, how_told,
                                      if_declined, known_issue, paid_to, topic_question,
                                      who_decides)
from bot.settings import load_policy

WHY_NOT_SLOT = "why_not_told"  # {"rule": the refusal explained, "told": how many times}
UNMATCHED_FIRST = ("sign_in", "knowledge")
NOT_READ = "nlu_fallback"  # the reading of a message the model did not understand


def question_in_context(tracker: Tracker, misread: bool = False) -> str | None:
    """The question about the conversation's topic the latest message asks, if it asks one.
    `misread`: the model's reading is known to be wrong (a question read as a no), so the words
    alone say which question it is."""
    latest = tracker.latest_message
    intent = NOT_READ if misread else (latest.get("intent") or {}).get("name")
    return topic_question(intent, latest.get("text"), has_topic=bool(tracker.get_slot("topic")))


def asks_where_the_money_goes(tracker: Tracker) -> bool:
    """"Would it go back to my card or as credit?", whatever the model read (a refund request, a
    what-if), once money back has been talked about: where it goes, not a new decision. Asked first
    ("can I get a refund back to my card?"), it is the request itself."""
    topic = tracker.get_slot("topic") or {}
    return bool(topic) and follow_up_kind(tracker.latest_message.get("text")) == "paid_to"


def asks_who_decides(tracker: Tracker) -> bool:
    """"Can't you just refund it?", whatever the model read, while a person decides the request or
    after a refusal: it asks why the assistant doesn't, not for the same decision again."""
    topic = tracker.get_slot("topic") or {}
    return follow_up_kind(tracker.latest_message.get("text")) == "who_decides" and \
        bool(case_of(topic) or refused_rule(topic))


def asked_in_context(tracker: Tracker) -> bool:
    """Whether a message the model found no request in may be a question about the topic: not one
    in another language, nor an address typed while signing in, nor a question after an answer from
    the company's texts (actions/unmatched.py answers those)."""
    kind = (tracker.get_slot("topic") or {}).get("kind")
    return language_of(tracker) is None and kind not in UNMATCHED_FIRST


def answer_in_context(dispatcher: CollectingDispatcher, tracker: Tracker,
                      misread: bool = False) -> list[dict[str, Any]] | None:
    """Answer the latest message as a question about the topic, or an objection to a refusal;
    None when it is neither (the calling action answers it its own way)."""
    topic = tracker.get_slot("topic") or {}
    if refused_rule(topic) and objects(tracker.latest_message.get("text")):
        dispatcher.utter_message(text=objection(), buttons=_person_unless_offer(tracker))
        return []
    if topic.get("kind") == "incident" and asks_for_amends(tracker.latest_message.get("text") or "", "incident"):
        # "do I get anything for it?" about an outage: the rules decide it, as the outage reported
        proof = prove(tracker)
        if proof.email is None:  # a sign-in that ran out meanwhile: the code first, whichever action asked
            return identify_then(dispatcher, tracker, proof, "technical_problem")
        return requests.answer_request(dispatcher, tracker, proof.email, "technical_problem")
    question = question_in_context(tracker, misread)
    return None if question is None else answer_question(dispatcher, tracker, question)


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> list[dict[str, Any]]:
    topic = tracker.get_slot("topic") or {}
    if topic:
        return _answer_about(dispatcher, tracker, question, topic)
    proof = prove(tracker)
    own = own_topic(proof.email)
    if own is not None:
        return [SlotSet("topic", own), *_answer_about(dispatcher, tracker, question, own)]
    if proof.email is None and asks_about_oneself(question, tracker.latest_message.get("text")):
        # A visitor's "how many days do I have left?": who they are first, then the answer (answer_own_question).
        return identify_then(dispatcher, tracker, proof, OWN_REQUEST[question])
    return _answer_about(dispatcher, tracker, question, topic)


OWN_REQUEST = {question: intent for intent, question in INTENT_QUESTIONS.items() if question in OWN_QUESTIONS}


def answer_own_question(dispatcher: CollectingDispatcher, tracker: Tracker, email: str,
                        request: str) -> list[dict[str, Any]]:
    """The visitor's own-account question, once the emailed code has proven who they are."""
    own = own_topic(email)
    if own is None:
        dispatcher.utter_message(response="utter_no_account")
        return []
    question = INTENT_QUESTIONS[request]
    return [SlotSet("topic", own), *_answer_about(dispatcher, tracker, question, own)]


for _request in OWN_REQUEST.values():
    requests.register(_request, answer_own_question)


def own_topic(email: str | None) -> dict | None:
    """What a proven customer's "how many days do I have left?" or "what will I pay after?" asks
    about when the conversation has no topic yet: their own trial or subscription (None for a visitor
    or an address with no subscription)."""
    own = account_of(email)
    sub = own.account.subscription if own else None
    if sub is None:
        return None
    if sub.status == "trialing":
        return facts.trial_topic(sub, own.plan_name)
    now = now_utc()
    return facts.account_topic(sub, renewal(own.account.email, now=now).access_until, charges=own.account.charges,
                               plan_name=own.plan_name, now=now)


def _answer_about(dispatcher: CollectingDispatcher, tracker: Tracker, question: str,
                  topic: dict) -> list[dict[str, Any]]:
    policy, reader, now = load_policy(), reader_of(tracker), now_utc()
    if question == "access":  # while a person decides, nothing changes; else the topic's dates say until when
        meanwhile = access_meanwhile(topic)
        if meanwhile:
            dispatcher.utter_message(text=meanwhile)
            return []
        question = "when"
    if question in ("status", "who_decides"):
        case_id = case_of(topic)
        state = case_state(case_id=case_id, conversation_id=tracker.sender_id, email=verified_email(tracker)) \
            if case_id or question == "status" else None
        said = case_status(state, reader, now) if question == "status" and state else \
            who_decides(topic, policy, reader, now, state) if question == "who_decides" else None
        if said:
            dispatcher.utter_message(text=said)
            return []
    if question == "charged_again":
        said = charged_again(topic)
        if said:
            dispatcher.utter_message(text=said)
            return []
        topic = about_the_subscription(topic)
    if question in ("why", "who_decides") and refused_rule(topic):
        return explain_refusal(dispatcher, tracker, refused_rule(topic))
    said = _from_the_account(tracker, topic, question, policy, reader, now)
    if said:  # "why" about a ticket may be a complaint: a person is one button away
        if not adds_nothing(said, said_since_the_message_began(tracker.events)):
            dispatcher.utter_message(text=said, buttons=_person_unless_offer(tracker) if question == "why" else [])
        return []
    question = STAND_INS.get(question, question)
    said = answer(question, topic or None, policy=policy, reader=reader, now=now)
    if not adds_nothing(said, said_since_the_message_began(tracker.events)):
        dispatcher.utter_message(text=said)
    # Answered about the credit an outage's topic carries: "and when would that show up?" is about it too.
    return [SlotSet("topic", topic["credit_case"])] if topic.get("credit_case") and \
        asked_about(question, topic) is topic["credit_case"] else []


def _from_the_account(tracker: Tracker, topic: dict, question: str, policy, reader, now) -> str | None:
    """Answers that need more than the topic's facts, or another wording than the table's."""
    said = trial_follow_ups.answer(question, topic, reader, now) if topic.get("kind") == "trial" else None
    if said:
        return said
    if question == "decide_later" and tracker.get_slot("offer"):
        return decide_later(topic, window_hours=policy.late_cancel_window_hours, reader=reader, now=now)
    if question == "come_back":
        return come_back(topic)
    if question == "paid_to":
        return paid_to(topic)
    if question == "charged_on":
        return charged_on(topic, reader, now)
    if question == "how_told":
        return how_told(topic, tracker.get_latest_input_channel() or "", verified_email(tracker))
    if question == "if_declined":
        return if_declined(topic)
    if question == "why":
        return known_issue(topic, policy, reader)
    if question == "how_much" and topic.get("kind") == "terms" and topic.get("topic") == "refund_fee":
        email = verified_email(tracker)
        refund = latest_refund(email, now=now) if email else None
        return fee_kept(refund, policy, reader, now) if refund else None
    return None


def case_in_hand(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A yes with no offer waiting, while the topic's case is still open ("ok, put in for that
    then"): the request is already with people, so say where it stands rather than "nothing is
    waiting for a yes". False when there is no such case."""
    case_id = case_of(tracker.get_slot("topic"))
    state = case_state(case_id=case_id, conversation_id=tracker.sender_id, email=verified_email(tracker)) \
        if case_id else None
    if state is None or state["status"] not in ("open", "claimed"):
        return False
    dispatcher.utter_message(text="That's already in hand, so there's nothing more for me to do. "
                                  + case_status(state, reader_of(tracker), now_utc()))
    return True


def refused_rule(topic: dict) -> str | None:
    """The refusal the topic is about (a refused refund, or the renewal offered after one)."""
    refused = topic.get("refused") or (topic if topic.get("kind") == "decision" else {})
    rule = refused.get("rule")
    return rule if rule in ("R3", "R4", "R8") else None


def explain_refusal(dispatcher: CollectingDispatcher, tracker: Tracker, rule: str) -> list[dict[str, Any]]:
    """"Why not?": the next explanation of the refusal, never the one before, and a person."""
    said, events = next_explanation(tracker, rule)
    dispatcher.utter_message(text=said, buttons=_person_unless_offer(tracker))
    return events


def next_explanation(tracker: Tracker, rule: str) -> tuple[str, list[dict[str, Any]]]:
    """The refusal's next explanation in words not said yet, and the slot that counts them."""
    told = tracker.get_slot(WHY_NOT_SLOT) or {}
    times = told.get("told", 0) if told.get("rule") == rule else 0
    said = why_not(rule, times, window_hours=load_policy().late_cancel_window_hours,
                   by_mail=tracker.get_latest_input_channel() == EMAIL)
    return said, [SlotSet(WHY_NOT_SLOT, {"rule": rule, "told": times + 1})]


def _person_unless_offer(tracker: Tracker) -> list[dict]:
    """A person's button, unless an offer waits: restated after a refusal, it carries one."""
    return [] if offer_of_previous_turn(tracker.events) else [PERSON]
