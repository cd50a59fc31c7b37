"""An R2 review opened once the customer has agreed to cancel.

A partial refund after the R1 window is for a customer who has cancelled or agrees to cancel
(the refund rules, R2). While the subscription still renews, the refund request is decided and
recorded (bot/app/refunds.py, `awaits_cancellation`) and the customer is offered to stop the
renewal, with the decision attached to that offer; their yes to it stops the renewal and then
opens the case here, for that decision. Without that yes nothing goes to people.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.app import cases, offers
from bot.app.dependencies import current
from bot.app.results import ReviewOpened
from bot.core.domain import Outcome
from bot.core.statuses import CaseKind, OfferKind
from bot.db import models, repository
from bot.db.session import unit_of_work


def open_review_once_cancelled(decision_id: int, *, email: str, consent: str, now: datetime,
                               channel: str | None, conversation_id: str | None, note: str = "",
                               engine: Engine | None = None) -> ReviewOpened:
    """Open (or join) the review case of the R2 decision whose cancellation the customer accepted
    by `consent`; the case's summary for the customer (bot/app/cases.py case_summary)."""
    with unit_of_work(engine or current().engine()) as session:
        customer = repository.find_customer(session, email)
        offers.require_accepted(session, consent, kind=OfferKind.CANCEL_AT_PERIOD_END, customer=customer,
                                decision_id=decision_id)
        decision = session.get(models.DecisionRecord, decision_id)
        if decision is None or decision.outcome != Outcome.REVIEW_REFUND.value:
            raise offers.NoConsent("the offer was not made for a refund review")
        case, created = cases.open_case(session, kind=CaseKind.REFUND, reason=decision.reason, now=now,
                                        policy=current().policy(), customer=customer, decision=decision,
                                        channel=channel,
                                        conversation_id=conversation_id, note=note)
        result = ReviewOpened(decision_id=decision.id, rule=decision.rule, refund=decision.refund, fee=decision.fee,
                              base=decision.base, currency=decision.currency, case=cases.case_summary(case, created))
    cases.announce_if_new(result.case)
    return result
