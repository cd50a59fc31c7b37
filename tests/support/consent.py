"""A customer's yes, as the dialogue records it: an offer made and accepted (bot/app/offers.py).

The use cases that move money or change a subscription refuse to act without one, so
tests that call them directly say yes first, as a customer would."""
from __future__ import annotations

import uuid
from datetime import datetime

from bot.app import offers
from bot.core.statuses import OfferKind
from tests.conftest import DEMO_NOW


def accepted_offer(engine, email: str, *, kind: OfferKind = OfferKind.REFUND, decision_id: int | None = None,
                   plan_id: str | None = None, from_plan: str | None = None, now: datetime = DEMO_NOW) -> str:
    conversation = f"test-{uuid.uuid4().hex[:12]}"
    offer = offers.make_offer(conversation_id=conversation, channel="rest", email=email, kind=kind, now=now,
                              valid_minutes=30, decision_id=decision_id, plan_id=plan_id, from_plan=from_plan,
                              engine=engine)
    offers.answer(offer.token, conversation_id=conversation, email=email, accept=True, now=now, engine=engine)
    return offer.token
