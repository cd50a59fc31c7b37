"""Attacks on the customer's yes (issue 26, item 4), on a real localstripe: a yes carries out
exactly what was offered, as the account is now.

- A plan change quoted in one chat, a switch made in another, then the first chat's "Yes,
  switch" still went through, and a change was never prorated at the moment quoted.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import offers
from bot.app.plan_changes import change_plan
from bot.billing.gateway import StripeGateway
from bot.core.statuses import OfferKind
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW


def subscription_of(engine, email: str) -> models.Subscription:
    with unit_of_work(engine) as session:
        return session.execute(select(models.Subscription).join(models.Customer)
                               .where(models.Customer.email == email)).scalar_one()


def ledger_rows(engine) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        return [(e.kind, e.status) for e in session.execute(select(models.LedgerEntry).order_by(models.LedgerEntry.id))
                .scalars()]


def offer_made(engine, email: str, conversation: str, *, at, **terms) -> models.Offer:
    return offers.make_offer(conversation_id=conversation, channel="rest", email=email, now=at, valid_minutes=30,
                             engine=engine, **terms)


def said_yes(engine, offer: models.Offer, email: str, *, at) -> str:
    offers.answer(offer.token, conversation_id=offer.conversation_id, email=email, accept=True, now=at, engine=engine)
    return offer.token


# --- item 4: a plan change is exactly the one quoted, on the subscription quoted ----------

class RecordingGateway(StripeGateway):
    """localstripe, with the moments the gateway was asked to prorate at."""

    def __init__(self, api_base: str):
        super().__init__("sk_test_local", api_base=api_base)
        self.prorated_at: list = []

    def preview_plan_change(self, subscription_id, new_plan_id, **kwargs):
        self.prorated_at.append(("preview", kwargs.get("proration_date")))
        return super().preview_plan_change(subscription_id, new_plan_id, **kwargs)

    def change_plan(self, subscription_id, new_plan_id, **kwargs):
        self.prorated_at.append(("change", kwargs.get("proration_date")))
        return super().change_plan(subscription_id, new_plan_id, **kwargs)


def test_a_yes_to_a_quote_made_before_another_chat_switched_plans_changes_nothing(live_engine, gateway):
    quoted = DEMO_NOW
    first = offer_made(live_engine, "dan@example.com", "dan-widget", at=quoted, kind=OfferKind.PLAN_CHANGE,
                       plan_id="pro-monthly", from_plan="starter-monthly", amount=0, currency="usd")
    other = offer_made(live_engine, "dan@example.com", "dan-email", at=quoted + timedelta(minutes=1),
                       kind=OfferKind.PLAN_CHANGE, plan_id="starter-yearly", from_plan="starter-monthly",
                       amount=0, currency="usd")
    switched = change_plan("dan@example.com", "starter-yearly", gateway=gateway, engine=live_engine,
                           consent=said_yes(live_engine, other, "dan@example.com", at=quoted + timedelta(minutes=1)))
    assert switched["status"] == "changed"
    late_yes = said_yes(live_engine, first, "dan@example.com", at=quoted + timedelta(minutes=2))
    result = change_plan("dan@example.com", "pro-monthly", consent=late_yes, gateway=gateway, engine=live_engine)
    assert result["status"] == "outdated"
    sub = subscription_of(live_engine, "dan@example.com")
    assert sub.plan == "starter-yearly" and gateway.subscription(sub.stripe_id)["plan"].startswith("starter-yearly")
    assert ledger_rows(live_engine) == [("plan_change", "succeeded")]


def test_a_quote_from_before_a_renewal_is_not_carried_out(live_engine, gateway):
    quoted = DEMO_NOW
    offer = offer_made(live_engine, "dan@example.com", "dan-renewal", at=quoted, kind=OfferKind.PLAN_CHANGE,
                       plan_id="pro-monthly", from_plan="starter-monthly", amount=0, currency="usd")
    with unit_of_work(live_engine) as session:  # the period the quote was priced in is over
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "dan@example.com")).scalar_one()
        sub.current_period_start, sub.current_period_end = quoted + timedelta(minutes=1), quoted + timedelta(days=31)
    yes = said_yes(live_engine, offer, "dan@example.com", at=quoted + timedelta(minutes=2))
    assert change_plan("dan@example.com", "pro-monthly", consent=yes, gateway=gateway,
                       engine=live_engine)["status"] == "outdated"
    assert ledger_rows(live_engine) == []


def test_the_change_is_prorated_at_the_moment_the_preview_quoted(live_engine, localstripe):
    from bot.app.plan_changes import preview_plan_change
    recording = RecordingGateway(localstripe)
    quoted = DEMO_NOW + timedelta(minutes=3, seconds=17)
    preview = preview_plan_change("dan@example.com", "pro-monthly", at=quoted, gateway=recording, engine=live_engine)
    offer = offer_made(live_engine, "dan@example.com", "dan-prorated", at=quoted, kind=OfferKind.PLAN_CHANGE,
                       plan_id="pro-monthly", from_plan=preview["from_plan"], amount=preview["prorated"],
                       currency="usd")
    yes = said_yes(live_engine, offer, "dan@example.com", at=quoted + timedelta(minutes=5))
    assert change_plan("dan@example.com", "pro-monthly", consent=yes, gateway=recording,
                       engine=live_engine)["status"] == "changed"
    assert recording.prorated_at == [("preview", quoted), ("change", quoted)]
