"""Offers: made for one conversation and customer, answered once, never after they lapse."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bot.app import offers
from bot.core.statuses import OfferKind, OfferStatus
from tests.conftest import DEMO_NOW


def offer(engine, conversation="c1", email="ana@example.com", **terms):
    return offers.make_offer(conversation_id=conversation, channel="rest", email=email, now=DEMO_NOW,
                             valid_minutes=30, kind=terms.pop("kind", OfferKind.CANCEL_AT_PERIOD_END),
                             engine=engine, **terms)


def test_an_offer_is_answered_once(seeded_engine):
    made = offer(seeded_engine)
    answered = offers.answer(made.token, conversation_id="c1", email="ana@example.com", accept=True, now=DEMO_NOW,
                             engine=seeded_engine)
    assert answered.status == OfferStatus.ACCEPTED
    with pytest.raises(offers.OfferUnavailable, match="answered"):
        offers.answer(made.token, conversation_id="c1", email="ana@example.com", accept=True, now=DEMO_NOW,
                      engine=seeded_engine)


def test_two_answers_racing_one_wins(seeded_engine):
    made = offer(seeded_engine)

    def accept(_):
        try:
            return offers.answer(made.token, conversation_id="c1", email="ana@example.com", accept=True,
                                 now=DEMO_NOW, engine=seeded_engine).status
        except offers.OfferUnavailable as refused:
            return refused.reason

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(accept, range(8)))
    assert results.count(OfferStatus.ACCEPTED) == 1 and set(results) == {OfferStatus.ACCEPTED, "answered"}


@pytest.mark.parametrize("conversation, email, when, reason", [
    ("another-conversation", "ana@example.com", DEMO_NOW, "unknown"),
    ("c1", "ben@example.com", DEMO_NOW, "not_yours"),
    ("c1", "ana@example.com", DEMO_NOW + timedelta(minutes=31), "expired"),
])
def test_an_offer_is_only_for_its_conversation_and_customer_and_time(seeded_engine, conversation, email, when, reason):
    made = offer(seeded_engine)
    with pytest.raises(offers.OfferUnavailable) as refused:
        offers.answer(made.token, conversation_id=conversation, email=email, accept=True, now=when,
                      engine=seeded_engine)
    assert refused.value.reason == reason


def test_a_new_offer_withdraws_the_older_one(seeded_engine):
    first = offer(seeded_engine)
    offer(seeded_engine, kind=OfferKind.PLAN_CHANGE, plan_id="pro-yearly")
    with pytest.raises(offers.OfferUnavailable, match="answered"):
        offers.answer(first.token, conversation_id="c1", email="ana@example.com", accept=True, now=DEMO_NOW,
                      engine=seeded_engine)
    assert offers.find(first.token, engine=seeded_engine).status == OfferStatus.WITHDRAWN
