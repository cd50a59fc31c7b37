"""A question about the waiting offer is answered and the offer stands; only a decline closes it."""
from __future__ import annotations

import pytest

from bot.core.declining import declines, questions_the_offer


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
