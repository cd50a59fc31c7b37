"""R2 for a subscription that still renews: decided and recorded, but no case for people until
the customer says yes to stopping the renewal, an offer that carries the decision."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import offers
from bot.app.refunds import assess_refund
from bot.app.reviews import open_review_once_cancelled
from bot.core.statuses import OfferKind
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW
from tests.support.consent import accepted_offer

IVY = "ivy@example.com"  # R2 (courtesy used), her plan still renews


def cases(engine):
    with unit_of_work(engine) as session:
        return [(c.kind, c.rule, c.decision_id) for c in session.execute(select(models.ReviewCase)).scalars()]


def test_a_renewing_r2_waits_for_the_yes_to_cancelling(seeded_engine):
    decision = assess_refund(IVY, "late_cancellation", now=DEMO_NOW, channel="rest", conversation_id="conv-ivy",
                             engine=seeded_engine)
    assert decision.rule == "R2" and decision.awaits_cancellation and decision.case is None
    assert cases(seeded_engine) == []
    consent = accepted_offer(seeded_engine, IVY, kind=OfferKind.CANCEL_AT_PERIOD_END,
                             decision_id=decision.decision_id)
    review = open_review_once_cancelled(decision.decision_id, email=IVY, consent=consent, now=DEMO_NOW,
                                         channel="rest", conversation_id="conv-ivy", note="refund please",
                                         engine=seeded_engine)
    assert review.case_created and review.refund == decision.refund
    assert cases(seeded_engine) == [("refund", "R2", decision.decision_id)]


def test_a_cancelled_subscription_goes_to_review_at_once(seeded_engine):
    decision = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, engine=seeded_engine)
    assert not decision.awaits_cancellation and decision.case_created


@pytest.mark.parametrize("kind, for_this_decision", [(OfferKind.CANCEL_AT_PERIOD_END, False),
                                                      (OfferKind.REFUND, True)])
def test_no_case_without_a_yes_to_cancelling_for_this_decision(seeded_engine, kind, for_this_decision):
    decision = assess_refund(IVY, "late_cancellation", now=DEMO_NOW, engine=seeded_engine)
    consent = accepted_offer(seeded_engine, IVY, kind=kind,
                             decision_id=decision.decision_id if for_this_decision else None)
    with pytest.raises(offers.NoConsent):
        open_review_once_cancelled(decision.decision_id, email=IVY, consent=consent, now=DEMO_NOW,
                                   channel="rest", conversation_id="conv-ivy", engine=seeded_engine)
    assert cases(seeded_engine) == []
