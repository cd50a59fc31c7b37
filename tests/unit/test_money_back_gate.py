"""The NLU pipeline's step after the FallbackClassifier (nlu/money_back_gate.py): a message it
found ambiguous only between reasons for money back keeps the model's first reason; any other
fallback stays a fallback, and what was understood is left alone."""
from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from nlu.money_back_gate import MoneyBackGate


def gated(intent: tuple[str, float], *ranking: tuple[str, float]) -> dict:
    message = Message(data={"text": "i forgot to cancel and you charged me this morning, can i have a refund"})
    message.set("intent", {"name": intent[0], "confidence": intent[1]}, add_to_output=True)
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
    return MoneyBackGate().process([message])[0].get("intent")


def test_doubt_only_between_reasons_for_money_back_keeps_the_first_reason():
    assert gated(("nlu_fallback", 0.5), ("nlu_fallback", 0.5), ("forgot_subscription", 0.55),
                 ("late_cancellation", 0.48), ("request_refund", 0.08)) == \
        {"name": "forgot_subscription", "confidence": 0.55}


def test_any_other_doubt_stays_not_understood_and_a_reading_is_left_alone():
    fallback = ("nlu_fallback", 0.5)
    assert gated(fallback, fallback, ("request_refund", 0.55), ("ask_refund_fee", 0.5)) == \
        {"name": "nlu_fallback", "confidence": 0.5}
    assert gated(fallback, fallback, ("request_refund", 0.3), ("late_cancellation", 0.25)) == \
        {"name": "nlu_fallback", "confidence": 0.5}
    assert gated(("late_cancellation", 0.9), ("late_cancellation", 0.9), ("request_refund", 0.05)) == \
        {"name": "late_cancellation", "confidence": 0.9}
