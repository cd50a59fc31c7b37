"""Refunds: the rules decide, the decision is recorded, people get what is theirs to decide,
and an R1 refund the customer confirmed is paid once.

Each function is one use case: it opens a unit of work, loads the account, asks the
pure rules, records the decision, and hands money movements to the ledger.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.app import cases, offers
from bot.app.dependencies import current
from bot.app.results import RefundDecision, RefundResult, RefundStatus
from bot.billing import ledger
from bot.core import messages, rules
from bot.core.domain import Decision, Outcome, Reason
from bot.core.formatting import Reader
from bot.core.money import format_amount
from bot.core.policy import Policy
from bot.core.statuses import CaseKind, LedgerStatus, OfferKind
from bot.db import models, repository
from bot.db.session import unit_of_work


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
                  engine: Engine | None = None, policy: Policy | None = None) -> RefundDecision:
    """Apply the rules for a verified customer, keep the decision record, and hand
    discretionary outcomes (R2, R5, R6) to people as a review case (R2 only once the
    subscription no longer renews: `awaits_cancellation`)."""
    policy = policy or current().policy()
    with unit_of_work(engine or current().engine()) as session:
        customer = repository.find_customer(session, email)
        decision = rules.decide(repository.to_account(customer), Reason.parse(reason), now, policy)
        row = record_decision(session, customer, decision, policy, channel=channel,
                              conversation_id=conversation_id)
        amount = decision.credit if decision.outcome is Outcome.REVIEW_CREDIT else decision.refund
        summary = None
        kind = cases.KIND_BY_OUTCOME.get(decision.outcome.value)
        # R2 is for a customer who has cancelled or agrees to: while the subscription still renews,
        # the case waits for their yes to stopping it (bot/app/reviews.py).
        awaits_cancellation = kind == CaseKind.REFUND and decision.requires_cancellation
        if kind and not awaits_cancellation:
            case, created = cases.open_case(
                session, kind=kind, reason=decision.reason.value, now=now, policy=policy,
                customer=customer, decision=row, channel=channel,
                conversation_id=conversation_id, note=note)
            summary = cases.case_summary(case, created)
        result = RefundDecision(
            decision_id=row.id, rule=decision.rule, outcome=decision.outcome, charge_id=decision.charge_id,
            base=decision.base, fee=decision.fee, refund=decision.refund, credit=decision.credit,
            currency=decision.currency, requires_cancellation=decision.requires_cancellation,
            explanation=decision.explanation, amount_text=format_amount(amount, decision.currency),
            customer_name=customer.name, facts=decision.facts,
            charge_amount=row.charge.amount if row.charge is not None else None,
            charge_date=row.charge.created.date().isoformat() if row.charge is not None else None, case=summary,
            awaits_cancellation=awaits_cancellation)
    cases.announce_if_new(result.case)
    return result


def carry_out_refund(decision_id: int, *, email: str, consent: str | None, now: datetime | None = None,
                     gateway=None, engine: Engine | None = None, policy: Policy | None = None,
                     reader: Reader = Reader()) -> RefundResult:
    """Execute an R1 decision the customer confirmed: cancel now if needed, then refund once.

    `consent` is the token of the offer the customer accepted (bot/app/offers.py): without
    an accepted refund offer for this decision nothing moves (offers.NoConsent). An offer
    confirmed after `decision_valid_minutes` is not honoured, and neither is one the rules,
    asked again on the account as it is now, would no longer make (another refund of the
    payment, paid or under way; the window passed; the courtesy used): nothing is recorded,
    and the customer can ask again. The refund and its cancellation are recorded together,
    or not at all. A cancellation or refund that fails is followed up by a person (bot/app/cases.py).
    """
    engine = engine or current().engine()
    policy = policy or current().policy()
    now = now or current().clock()
    with unit_of_work(engine) as session:
        decision = session.get(models.DecisionRecord, decision_id)
        if decision is None or decision.customer.email != email.strip().lower():
            raise NotAllowed("that decision does not belong to this customer")
        offers.require_accepted(session, consent, kind=OfferKind.REFUND, customer=decision.customer,
                                decision_id=decision.id)
        if decision.outcome != Outcome.AUTO_REFUND.value:
            return _result(RefundStatus.NOT_ALLOWED, decision, messages.REFUND_NOT_AUTOMATIC)
        if now - decision.now > timedelta(minutes=policy.decision_valid_minutes):
            return _result(RefundStatus.EXPIRED, decision, messages.OFFER_EXPIRED)
        charge = decision.charge
        if charge is None or charge.stripe_id is None:
            return _result(RefundStatus.NOT_ALLOWED, decision, messages.UNKNOWN_PAYMENT)
        ledger.lock_charge(session, charge)  # until this commits, no other refund of it is recorded
        made = ledger.by_key(session, ledger.refund_key(charge, decision.rule))  # by an earlier yes: a repeat
        changed = made.amount != decision.refund if made else not _still_offered(session, decision, now, policy)
        if changed:
            return _result(RefundStatus.CHANGED, decision, messages.OFFER_NO_LONGER_STANDS)
        # The refund an earlier yes recorded failed or came back: people follow it up, and
        # nothing is cancelled for a refund that will not be paid.
        unpaid = made is not None and made.status in (LedgerStatus.FAILED, LedgerStatus.REVERSED)
        sub = decision.customer.subscription
        cancel_key = f"cancel-now-{sub.id}-d{decision.id}" \
            if sub is not None and sub.status != "canceled" and not unpaid else None
        if cancel_key:  # recorded first, so the reconciler also carries it out first
            ledger.record_cancellation(session, subscription=sub, at_period_end=False,
                                       decision_id=decision.id, key=cancel_key)
        refund_key = ledger.record_refund(session, charge=charge, amount=decision.refund, rule=decision.rule,
                                          decision_id=decision.id).idempotency_key
    gateway = gateway or current().gateway()
    canceled = False
    if cancel_key:
        cancellation = ledger.execute(engine, gateway, cancel_key)
        if cancellation.status == LedgerStatus.FAILED:
            ledger.abandon(engine, refund_key, "the cancellation this refund depends on could not be made")
            return _followed_up(engine, _result(RefundStatus.FAILED, decision, messages.CANCEL_FAILED_NOTHING_REFUNDED),
                                cancellation.decision_id)
        if cancellation.status != LedgerStatus.SUCCEEDED:
            return _result(RefundStatus.PENDING, decision, messages.CANCEL_AND_REFUND_WAITING)
        canceled = True
    entry = ledger.execute(engine, gateway, refund_key)
    result = _refund_result(entry, decision, canceled, reader)
    return _followed_up(engine, result, entry.decision_id) if entry.status == LedgerStatus.FAILED else result


def _still_offered(session, decision: models.DecisionRecord, now: datetime, policy: Policy) -> bool:
    """The rules, asked again on the account as it is now, make the same R1 offer, and no
    refund of ours under way (an agent's, say) has taken what it would pay."""
    fresh = rules.decide(repository.to_account(decision.customer), Reason.parse(decision.reason), now, policy)
    return (fresh.outcome is Outcome.AUTO_REFUND and fresh.charge_id == decision.charge.external_id
            and fresh.refund == decision.refund and decision.refund <= ledger.refundable(session, decision.charge))


def _followed_up(engine: Engine, result: RefundResult, decision_id: int) -> RefundResult:
    """The result, with the ticket people follow up the failed movement of `decision_id` on
    (an earlier yes's, when this one repeats it), for the customer to hear."""
    with unit_of_work(engine) as session:
        ticket = cases.follow_up_of(session, decision_id)
        return replace(result, case=cases.case_summary(ticket, True)) if ticket is not None else result


def _refund_result(entry: models.LedgerEntry, decision: models.DecisionRecord, canceled: bool,
                   reader: Reader) -> RefundResult:
    if entry.status == LedgerStatus.SUCCEEDED:
        message = messages.refunded(entry.amount, entry.currency, reader)
        return _result(RefundStatus.REFUNDED, decision, message, refund_id=entry.stripe_id, canceled=canceled)
    if entry.status == LedgerStatus.FAILED:
        message = messages.refund_failed(entry.amount, entry.currency, canceled, reader)
        return _result(RefundStatus.FAILED, decision, message, canceled=canceled)
    if entry.status == LedgerStatus.REVERSED:
        return _result(RefundStatus.REVERSED, decision, messages.refund_sent_back(entry.amount, entry.currency, reader),
                       canceled=canceled)
    return _result(RefundStatus.PENDING, decision, messages.refund_waiting(entry.amount, entry.currency, reader),
                   canceled=canceled)


def _result(status: RefundStatus, decision: models.DecisionRecord, message: str, *, refund_id: str | None = None,
            canceled: bool = False) -> RefundResult:
    """What the customer is told, and the decision's terms (for "how much?" afterwards)."""
    return RefundResult(status=status, refund_id=refund_id, canceled=canceled, message=message,
                        decision_id=decision.id, amount_text=format_amount(decision.refund, decision.currency),
                        refund=decision.refund, fee=decision.fee, currency=decision.currency,
                        charge_amount=decision.charge.amount if decision.charge else None)
