"""Offers: what the assistant proposes to do, and the one answer that may carry it out.

An offer is made in one turn of one conversation for one customer, and only the very
next message of that conversation can answer it (actions/offer_turns.py checks the turn;
here the offer must still be open, unexpired, of this conversation and this customer).
A new offer withdraws the conversation's older ones, so at most one is ever open.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from bot.core.statuses import OfferKind, OfferStatus
from bot.db import models, repository
from bot.db.session import unit_of_work

TOKEN_BYTES = 12  # 24 hex characters in a button's payload


class OfferUnavailable(PermissionError):
    """The offer cannot be answered: unknown, answered, withdrawn, expired, or someone else's."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # unknown | answered | expired | not_yours


def make_offer(*, conversation_id: str, channel: str | None, email: str, kind: OfferKind, now: datetime,
               valid_minutes: int, decision_id: int | None = None, plan_id: str | None = None,
               from_plan: str | None = None, amount: int = 0, currency: str | None = None,
               engine: Engine | None = None) -> models.Offer:
    with unit_of_work(engine) as session:
        customer = repository.customer_id(session, email)
        _withdraw_open(session, conversation_id, now)
        offer = models.Offer(
            token=secrets.token_hex(TOKEN_BYTES), conversation_id=conversation_id, channel=channel,
            customer_id=customer, kind=kind, decision_id=decision_id, plan_id=plan_id, from_plan=from_plan,
            amount=amount, currency=currency, status=OfferStatus.OPEN, made_at=now,
            expires_at=now + timedelta(minutes=valid_minutes))
        session.add(offer)
        session.flush()
        session.expunge(offer)
        return offer


def answer(token: str, *, conversation_id: str, email: str, accept: bool, now: datetime,
           engine: Engine | None = None) -> models.Offer:
    """Accept or decline the open offer `token` of this conversation for this customer, once.

    The status moves by a conditional update, so of two answers racing (two replicas, a
    double click) exactly one wins; the other gets OfferUnavailable("answered")."""
    status = OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED
    with unit_of_work(engine) as session:
        offer = session.execute(select(models.Offer).where(models.Offer.token == token)).scalar_one_or_none()
        if offer is None or offer.conversation_id != conversation_id:
            raise OfferUnavailable("unknown")
        if offer.customer.email != email.strip().lower():
            raise OfferUnavailable("not_yours")
        if offer.status != OfferStatus.OPEN:
            raise OfferUnavailable("answered")
        if offer.expires_at <= now:
            offer.status, offer.answered_at = OfferStatus.WITHDRAWN, now
            raise OfferUnavailable("expired")
        moved = session.execute(
            update(models.Offer).where(models.Offer.id == offer.id, models.Offer.status == OfferStatus.OPEN)
            .values(status=status, answered_at=now).execution_options(synchronize_session=False)).rowcount
        if moved == 0:
            raise OfferUnavailable("answered")
        session.refresh(offer)
        session.expunge(offer)
        return offer


def withdraw_open(conversation_id: str, *, now: datetime, engine: Engine | None = None) -> None:
    """Something other than an answer came first: the conversation's open offer lapses."""
    with unit_of_work(engine) as session:
        _withdraw_open(session, conversation_id, now)


def _withdraw_open(session, conversation_id: str, now: datetime) -> None:
    session.execute(
        update(models.Offer).where(models.Offer.conversation_id == conversation_id,
                                   models.Offer.status == OfferStatus.OPEN)
        .values(status=OfferStatus.WITHDRAWN, answered_at=now).execution_options(synchronize_session=False))


def require_accepted(session, token: str | None, *, kind: OfferKind, customer: models.Customer,
                     decision_id: int | None = None, plan_id: str | None = None) -> models.Offer:
    """The accepted offer that allows this step, in the caller's transaction; else NoConsent.

    The use cases that move money or change a subscription ask for it themselves, so no
    caller (an action, a script, a future channel) can move anything without a yes."""
    offer = session.execute(select(models.Offer).where(models.Offer.token == (token or ""))).scalar_one_or_none()
    if (offer is None or offer.status != OfferStatus.ACCEPTED or offer.kind != kind
            or offer.customer_id != customer.id or offer.decision_id != decision_id
            or (plan_id is not None and offer.plan_id != plan_id)):
        raise NoConsent("there is no accepted offer for this")
    return offer


class NoConsent(PermissionError):
    """Nothing irreversible happens without the customer's yes to the offer for it."""


def find(token: str, *, engine: Engine | None = None) -> models.Offer | None:
    with unit_of_work(engine) as session:
        offer = session.execute(select(models.Offer).where(models.Offer.token == token)).scalar_one_or_none()
        if offer is not None:
            session.expunge(offer)
        return offer


def last_plan_change(conversation_id: str, *, engine: Engine | None = None) -> models.Offer | None:
    """The plan change this conversation accepted most recently (for "change it back")."""
    with unit_of_work(engine) as session:
        offer = session.execute(
            select(models.Offer).where(models.Offer.conversation_id == conversation_id,
                                       models.Offer.kind == OfferKind.PLAN_CHANGE,
                                       models.Offer.status == OfferStatus.ACCEPTED)
            .order_by(models.Offer.id.desc()).limit(1)).scalar_one_or_none()
        if offer is not None:
            session.expunge(offer)
        return offer
