"""Refunds: the rules decide, the decision is recorded, people get what is theirs to decide,
and an R1 refund the customer confirmed is paid once.

Each function is one use case: it opens a unit of work, loads the account, asks the
pure rules, records the decision, and hands money movements to the ledger.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.app import cases, offers
from bot.billing import ledger
from bot.billing.gateway import StripeGateway
from bot.clock import now_utc
from bot.core import messages, rules
from bot.core.domain import Decision, Outcome, Reason
from bot.core.formatting import Reader
from bot.core.money import format_amount
from bot.core.policy import Policy
from bot.core.statuses import LedgerStatus, OfferKind
from bot.db import models, repository
from bot.db.session import get_engine, unit_of_work
from bot.settings import load_policy


class NotAllowed(PermissionError):
    pass


def record_decision(session, customer: models.Customer, decision: Decision, policy: Policy, *,
                    channel: str | None = None, conversation_id: str | None = None) -> models.DecisionRecord:
    charge = repository.charge_by_external_id(session, decision.charge_id) if decision.charge_id else None
    row = models.DecisionRecord(
        customer_id=customer.id, charge_id=charge.id if charge else None, rule=decision.rule,
        reason=decision.reason.value, outcome=decision.outcome.value, now=decision.now,
        base=decision.base, fee=decision.fee, refund=decision.refund, credit=decision.credit,
        currency=decision.currency, requires_cancellation=decision.requires_cancellation,
        explanation=decision.explanation, facts=decision.facts, policy=policy.as_record(),
        channel=channel, conversation_id=conversation_id, executed={})
    session.add(row)
    session.flush()
    return row


def assess_refund(email: str, reason: str, *, now: datetime, channel: str | None = None,
                  conversation_id: str | None = None, note: str = "",
                  engine: Engine | None = None, policy: Policy | None = None) -> dict:
    """Apply the rules for a verified customer, keep the decision record, and hand
    discretionary outcomes (R2, R5, R6) to people as a review case."""
    policy = policy or load_policy()
    with unit_of_work(engine) as session:
        customer = repository.find_customer(session, email)
        decision = rules.decide(repository.to_account(customer), Reason.parse(reason), now, policy)
        row = record_decision(session, customer, decision, policy, channel=channel,
                              conversation_id=conversation_id)
        amount = decision.credit if decision.outcome is Outcome.REVIEW_CREDIT else decision.refund
        result = {"decision_id": row.id, **decision.contract_json(),
                  "amount_text": format_amount(amount, decision.currency),
                  "customer_name": customer.name, "facts": decision.facts}
        if row.charge is not None:
            result.update(charge_amount=row.charge.amount,
                          charge_date=row.charge.created.date().isoformat())
        kind = cases.KIND_BY_OUTCOME.get(decision.outcome.value)
        if kind:
            case, created = cases.open_case(
                session, kind=kind, reason=decision.reason.value, now=now, policy=policy,
                customer=customer, decision=row, channel=channel,
                conversation_id=conversation_id, note=note)
            result.update(cases.case_summary(case, created))
    cases.announce_if_new(result)
    return result


def carry_out_refund(decision_id: int, *, email: str, consent: str | None, now: datetime | None = None,
                     gateway=None, engine: Engine | None = None, policy: Policy | None = None,
                     reader: Reader = Reader()) -> dict:
    """Execute an R1 decision the customer confirmed: cancel now if needed, then refund once.

    `consent` is the token of the offer the customer accepted (bot/app/offers.py): without
    an accepted refund offer for this decision nothing moves (offers.NoConsent). An offer
    confirmed after `decision_valid_minutes` is not honoured: the facts (the 24-hour window,
    other refunds) may have changed, so the customer is asked to let the rules look again.
    """
    engine = engine or get_engine()
    policy = policy or load_policy()
    now = now or now_utc()
    with unit_of_work(engine) as session:
        decision = session.get(models.DecisionRecord, decision_id)
        if decision is None or decision.customer.email != email.strip().lower():
            raise NotAllowed("that decision does not belong to this customer")
        offers.require_accepted(session, consent, kind=OfferKind.REFUND, customer=decision.customer,
                                decision_id=decision.id)
        if decision.outcome != Outcome.AUTO_REFUND.value:
            return _result("not_allowed", decision, messages.REFUND_NOT_AUTOMATIC)
        if now - decision.now > timedelta(minutes=policy.decision_valid_minutes):
            return _result("expired", decision, messages.OFFER_EXPIRED)
        sub = decision.customer.subscription
        must_cancel = sub is not None and sub.status != "canceled"
        charge = decision.charge
        if charge is None or charge.stripe_id is None:
            return _result("not_allowed", decision, messages.UNKNOWN_PAYMENT)
        cancel_key = f"cancel-now-{sub.id}-d{decision.id}" if must_cancel else None
        if cancel_key:
            ledger.record_cancellation(session, subscription=sub, at_period_end=False,
                                          decision_id=decision.id, key=cancel_key)
        try:
            refund_entry = ledger.record_refund(session, charge=charge, amount=decision.refund,
                                                   rule=decision.rule, decision_id=decision.id)
        except ledger.MovementRefused as exc:
            return _result("not_allowed", decision, messages.refund_refused(str(exc)))
        refund_key = refund_entry.idempotency_key
    gateway = gateway or StripeGateway.from_settings()
    canceled = False
    if cancel_key:
        canceled = ledger.execute(engine, gateway, cancel_key).status == LedgerStatus.SUCCEEDED
        if not canceled:
            return _result("pending", decision, messages.CANCEL_AND_REFUND_WAITING)
    entry = ledger.execute(engine, gateway, refund_key)
    return _refund_result(entry, decision, canceled, reader)


def _refund_result(entry: models.LedgerEntry, decision: models.DecisionRecord, canceled: bool,
                   reader: Reader) -> dict:
    if entry.status == LedgerStatus.SUCCEEDED:
        message = messages.refunded(entry.amount, entry.currency, entry.stripe_id, reader)
        return {**_result("refunded", decision, message), "refund_id": entry.stripe_id,
                "amount_text": format_amount(entry.amount, entry.currency), "canceled": canceled}
    if entry.status == LedgerStatus.FAILED:
        return {**_result("not_allowed", decision, messages.refund_failed(entry.error)), "canceled": canceled}
    if entry.status == LedgerStatus.REVERSED:
        return {**_result("reversed", decision, messages.refund_sent_back(entry.amount, entry.currency, reader)),
                "canceled": canceled}
    return {**_result("pending", decision, messages.refund_waiting(entry.amount, entry.currency, reader)),
            "canceled": canceled}


def _result(status: str, decision: models.DecisionRecord, message: str) -> dict:
    return {"status": status, "refund_id": None, "canceled": False, "message": message,
            "amount_text": format_amount(decision.refund, decision.currency)}
