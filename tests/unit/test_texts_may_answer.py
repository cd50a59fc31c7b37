"""When the company's texts answer a message instead of the intent the model read (issue 28, class 6),
and the NLU step that applies it, on the real knowledge base and encoder."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.core.asking import TEXTS_ANSWER_UNDERSTOOD_NOTHING, TEXTS_CLEARLY_ANSWER, texts_may_answer, texts_may_correct
from bot.core.clauses import ASKED_OF_THE_TEXTS, reading
from nlu.knowledge_gate import KnowledgeGate


@pytest.mark.parametrize("intent, confidence, text, needed", [
    ("nlu_fallback", 0.5, "and can you use it for other things?", TEXTS_ANSWER_UNDERSTOOD_NOTHING),
    ("cancel_subscription", 0.72, "can you close my account whenever you want?", TEXTS_CLEARLY_ANSWER),
    ("ask_export_data", 0.71, "who owns the data we put into the CRM?", TEXTS_CLEARLY_ANSWER),
    ("ask_billing_cycle", 0.70, "and on yearly billing?", None),                 # the customer's own plan
    ("cancel_subscription", 0.95, "can I cancel my subscription?", None),       # the model is sure
    ("cancel_subscription", 0.6, "cancel my subscription", None),               # a request, not a question
    ("cancel_subscription", 0.6, "would I get anything back if I cancelled?", None),  # a what-if: the rules'
    ("request_refund", 0.55, "can I get a refund if it was down?", None),       # money: never taken over
    ("affirm", 0.6, "is that right?", None),
])
def test_the_texts_take_over_only_what_the_model_did_not_get_or_half_got(intent, confidence, text, needed):
    assert texts_may_answer(intent, confidence, text) == needed


def gate(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    return KnowledgeGate().process([message])[0]


def read(text: str, intent: str, confidence: float) -> dict:
    return gate(text, intent, confidence).get("intent")


def test_what_the_model_did_not_understand_stays_so_marked_with_the_passage_that_answers_it():
    message = gate("Can I cancel now but keep access until the end of the month?", "nlu_fallback", 0.5)
    assert message.get("intent")["name"] == "nlu_fallback" and message.get("texts_answer") == "terms/4"
    assert reading(message.as_dict(only_output_properties=True)) == (ASKED_OF_THE_TEXTS, 1.0)  # by email: asked
    assert reading({"intent": {"name": "nlu_fallback", "confidence": 0.5}}) == ("nlu_fallback", 0.5)


def test_a_terms_question_read_half_as_a_cancellation_is_answered_from_the_terms():
    assert read("can you guys just close my account whenever you want??", "cancel_subscription", 0.72) == \
        {"name": "out_of_scope", "confidence": 1.0}


def test_what_the_texts_do_not_answer_keeps_the_model_s_reading():
    assert gate("what's the weather in paris?", "nlu_fallback", 0.5).get("texts_answer") is None
    # answered by the texts, but not clearly: by email a person reads it
    assert gate("Please see below, can you answer this?", "nlu_fallback", 0.5).get("texts_answer") is None
    assert read("can I change to the yearly plan?", "change_plan", 0.7)["name"] == "change_plan"


@pytest.mark.parametrize("confidence, text, needed", [
    (0.53, "what law applies to your terms", TEXTS_ANSWER_UNDERSTOOD_NOTHING),
    (0.9, "what law applies to your terms", None),                 # the model is sure
    (0.6, "if we went yearly would we pay less?", None),           # a what-if: the rules'
    (0.6, "yearly billing please", None),                          # not a question
])
def test_the_texts_may_correct_an_unsure_reading_of_an_intent_they_give_a_passage_for(confidence, text, needed):
    assert texts_may_correct(frozenset({"terms/3"}), confidence, text) == needed
    assert texts_may_correct(frozenset(), confidence, text) is None


def test_a_reading_the_texts_answer_from_another_passage_is_theirs_and_from_its_own_passage_the_intent_s():
    """make run, 2026-12-07: "what law applies to your terms" was read as billing (0.53) and told how
    plans are billed; the terms' section 14 answers it. "And on yearly billing?" after a plan question
    is the customer's own plan: the texts' nearest passage is billing's own, so the reading stands."""
    assert read("what law applies to your terms", "ask_billing_cycle", 0.53) == \
        {"name": "out_of_scope", "confidence": 1.0}
    assert read("and on yearly billing?", "ask_billing_cycle", 0.7)["name"] == "ask_billing_cycle"
    assert read("how long is the trial?", "ask_free_trial", 0.7)["name"] == "ask_free_trial"
