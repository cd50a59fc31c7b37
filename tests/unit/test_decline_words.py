"""A no in the customer's own words is a no; a yes with a no in it is not a yes."""
from __future__ import annotations

import pytest

from bot.core.decline_words import sounds_like_no


@pytest.mark.parametrize("text", [
    "no", "no, leave it", "wait", "hold on", "keep my plan", "changed my mind", "I've changed my mind", "cancel that",
    "actually I'd rather keep my subscription for now", "I want to stay where I am, on my current plan", "not now",
    "don't do it", "don't change anything", "forget it", "let me think about it", "yes but wait", "stop",
    "I would rather not", "please keep it as is", "not sure", "on second thought, no",
])
def test_declining_words(text):
    assert sounds_like_no(text)


@pytest.mark.parametrize("text", [
    "yes", "yes please", "ok go ahead", "sure, cancel it", "yes please refund me", "Yes, stop the renewal",
    "go ahead and switch", "yeah why not", "cancel my subscription", "I never used it", "what plan am I on?",
    "please stop the renewal", "I want a refund", "",
])
def test_words_that_do_not_decline(text):
    assert not sounds_like_no(text)
