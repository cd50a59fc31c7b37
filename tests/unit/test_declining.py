"""A question about the waiting offer is answered and the offer stands; only a decline closes it."""
from __future__ import annotations

import pytest

from bot.core.declining import asks_besides, declines, questions_the_offer


@pytest.mark.parametrize("text", [
    "wait why isnt it the full amount?",
    "hold on, do I keep my contacts if I cancel?",
    "hmm can i export my stuff first?",
    "do i lose access right away?",
    "what happens to my contacts if i cancel?",
    "not sure, is anything else charged?",
    "no refund at all?",
])
def test_a_question_declines_nothing(text):
    assert not declines(text) and questions_the_offer(text)


@pytest.mark.parametrize("text", [
    "no",
    "no thanks",
    "no, why would I?",
    "nah what for",
    "nope. what else can you do?",
    "leave it as it is for now",
    "I'd rather keep it",
    "wait",
    "hold on",
    "not now, maybe later?",
    "never mind, what's the fee?",
])
def test_a_decline_declines_even_when_it_asks_too(text):
    assert declines(text) and not questions_the_offer(text)


def test_words_that_neither_ask_nor_hold_back_are_no_decline():
    assert not declines("yes please") and not declines("") and not declines(None)


@pytest.mark.parametrize("text, intent", [
    ("no forget it, what does the pro plan have that basic doesnt", "ask_plans"),
    ("never mind, what's the fee?", "ask_refund_fee"),
    ("nope. can you just cancel it instead?", "cancel_subscription"),
    ("no thanks, actually how do i export my contacts first", "ask_export_data"),
])
def test_a_no_with_a_question_of_its_own_is_declined_and_asked(text, intent):
    assert declines(text) and asks_besides(text, intent)


@pytest.mark.parametrize("text, intent", [
    ("no, why would I?", "ask_why"),            # about the offer just declined: nothing left to answer
    ("nah, how much would that be?", "ask_how_much"),
    ("no leave it as it is for now", "deny"),
    ("no thanks", "deny"),
    ("wait, why isn't it the full amount?", "ask_why"),   # a question about the offer declines nothing
    ("what does pro have?", "ask_plans"),
])
def test_a_no_alone_or_a_follow_up_to_the_offer_asks_nothing_besides(text, intent):
    assert not asks_besides(text, intent)
