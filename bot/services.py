"""Service layer: what the assistant, the CLI and (later) the agent console call.

Each function is one use case: it opens a unit of work, loads the account, asks the
pure rules, records the decision, and hands money movements to the ledger.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot import cases, repository, rules
from bot.billing import movements
from bot.db import models
from bot.db.session import get_engine, unit_of_work
from bot.domain import Decision, Outcome, Reason
from bot.money import format_amount
from bot.policy import Policy, load_policy


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
    _announce_if_new(result)
    return result


def request_person(email: str | None, *, now: datetime, channel: str | None,
                   conversation_id: str, note: str = "", engine: Engine | None = None,
                   policy: Policy | None = None) -> dict:
    """A customer asked for a person: one handoff case per conversation."""
    policy = policy or load_policy()
    with unit_of_work(engine) as session:
        customer = None
        if email:
            try:
                customer = repository.find_customer(session, email)
            except repository.UnknownCustomer:
                customer = None
        case, created = cases.open_case(
            session, kind="handoff", reason=cases.HANDOFF_REASON, now=now, policy=policy,
            customer=customer, channel=channel, conversation_id=conversation_id, note=note)
        from bot.handoff import people_answer_now
        from bot.support_hours import next_opening
        opening = next_opening(now, policy)
        # live: someone can join now; after_hours: say when the team is back; else queued.
        mode = ("live" if people_answer_now(session, now, policy)
                else "after_hours" if opening > now else "queued")
        result = {**cases.case_summary(case, created), "handoff": mode,
                  "next_opening": opening.isoformat()}
    _announce_if_new(result)
    return result


def _announce_if_new(result: dict) -> None:
    """Tell the support channel about a case the moment it exists (after it is committed)."""
    if result.get("case_created"):
        from bot.slack_cases import announce
        announce(result["announcement"])


def carry_out_refund(decision_id: int, *, email: str, cancel_consent: bool,
                     now: datetime | None = None, gateway=None, engine: Engine | None = None,
                     policy: Policy | None = None) -> dict:
    """Execute an R1 decision the customer confirmed: cancel now if needed, then refund once.

    An offer confirmed after `decision_valid_minutes` is not honoured: the facts (the
    24-hour window, other refunds) may have changed, so the customer is asked to let the
    rules look again.
    """
    engine = engine or get_engine()
    policy = policy or load_policy()
    now = now or movements.now_utc()
    with unit_of_work(engine) as session:
        decision = session.get(models.DecisionRecord, decision_id)
        if decision is None or decision.customer.email != email.strip().lower():
            raise NotAllowed("that decision does not belong to this customer")
        if decision.outcome != Outcome.AUTO_REFUND.value:
            return _result("not_allowed", decision, "This decision does not pay a refund by itself.")
        if now - decision.now > timedelta(minutes=policy.decision_valid_minutes):
            return _result("expired", decision, "That refund offer has expired, so I haven't "
                           "changed anything. Ask me again and I'll check your account afresh.")
        sub = decision.customer.subscription
        must_cancel = sub is not None and sub.status != "canceled"
        if decision.requires_cancellation and not cancel_consent:
            return _result("not_allowed", decision,
                           "The refund needs the subscription to be cancelled, so nothing was changed.")
        charge = decision.charge
        if charge is None or charge.stripe_id is None:
            return _result("not_allowed", decision, "That payment is not known to the payment processor.")
        cancel_key = f"cancel-now-{sub.id}-d{decision.id}" if must_cancel else None
        if cancel_key:
            movements.record_cancellation(session, subscription=sub, at_period_end=False,
                                          decision_id=decision.id, key=cancel_key)
        try:
            refund_entry = movements.record_refund(session, charge=charge, amount=decision.refund,
                                                   rule=decision.rule, decision_id=decision.id)
        except movements.MovementRefused as exc:
            return _result("not_allowed", decision, f"The refund was refused: {exc}.")
        refund_key = refund_entry.idempotency_key
    if gateway is None:
        from bot.billing.gateway import StripeGateway
        gateway = StripeGateway.from_settings()
    canceled = False
    if cancel_key:
        canceled = movements.execute(engine, gateway, cancel_key).status == "succeeded"
        if not canceled:
            return _result("pending", decision, "Our payment processor isn't answering right now, so "
                           "I couldn't cancel and refund yet. Nothing has been paid or charged twice: "
                           "I'll finish it as soon as it's back and tell you here.")
    entry = movements.execute(engine, gateway, refund_key)
    return _refund_result(entry, decision, canceled)


def _refund_result(entry: models.LedgerEntry, decision: models.DecisionRecord, canceled: bool) -> dict:
    amount = format_amount(entry.amount, entry.currency)
    if entry.status == "succeeded":
        message = f"Refunded {amount} (refund {entry.stripe_id})."
        return {**_result("refunded", decision, message), "refund_id": entry.stripe_id,
                "amount_text": amount, "canceled": canceled}
    if entry.status == "failed":
        return {**_result("not_allowed", decision, f"The refund could not be made: {entry.error}"),
                "canceled": canceled}
    if entry.status == "reversed":
        return {**_result("reversed", decision, f"The refund of {amount} was made but your bank sent it back. "
                          "Our support team has a case open and will contact you to pay it another way."),
                "canceled": canceled}
    return {**_result("pending", decision, f"Our payment processor isn't answering right now. Your "
                      f"refund of {amount} is recorded and will be paid once, as soon as it's back; "
                      "I'll tell you here."), "canceled": canceled}


def _result(status: str, decision: models.DecisionRecord, message: str) -> dict:
    return {"status": status, "refund_id": None, "canceled": False, "message": message,
            "amount_text": format_amount(decision.refund, decision.currency)}


def decision_history(email: str, engine: Engine | None = None) -> list[models.DecisionRecord]:
    with unit_of_work(engine) as session:
        customer = repository.find_customer(session, email)
        return list(session.execute(
            select(models.DecisionRecord).where(models.DecisionRecord.customer_id == customer.id)
            .order_by(models.DecisionRecord.id)).scalars())


def account_summary(email: str, *, now: datetime, engine: Engine | None = None) -> str:
    """One paragraph a customer reads: plan, status, next and last payment."""
    with unit_of_work(engine) as session:
        account = repository.load_account(session, email)
    sub = account.subscription
    if sub is None:
        return "There is no subscription on this account."
    price = format_amount(sub.price, sub.currency)
    parts = [f"You're on the {sub.plan} plan at {price} a {sub.interval}."]
    if sub.status == "trialing" and sub.trial_end:
        parts.append(f"Your free trial ends on {sub.trial_end:%d %B %Y}; cancel before then and you are never charged.")
    elif sub.status == "canceled":
        parts.append("The subscription is cancelled and will not renew.")
    elif sub.cancel_at_period_end:
        parts.append(f"It is cancelled from {sub.current_period_end:%d %B %Y} and will not renew; "
                     "you keep access until then.")
    else:
        parts.append(f"It renews on {sub.current_period_end:%d %B %Y} for {price}.")
        if sub.status == "past_due":
            parts.append("Your last payment failed; please update your card to keep access.")
    latest = rules.latest_charge(account.charges, now)
    if latest:
        refunded = f" ({format_amount(latest.refunded, latest.currency)} refunded)" if latest.refunded else ""
        parts.append(f"Your last payment was {format_amount(latest.amount, latest.currency)} "
                     f"on {latest.created:%d %B %Y}{refunded}.")
    return " ".join(parts)


def cancel_at_period_end(email: str, *, gateway=None, engine: Engine | None = None) -> dict:
    """Stop renewal (terms section 9: access continues to the end of the paid period), once."""
    engine = engine or get_engine()
    with unit_of_work(engine) as session:
        customer = repository.find_customer(session, email)
        sub = customer.subscription
        if sub is None or sub.status == "canceled" or sub.cancel_at_period_end:
            return {"status": "not_renewing", "access_until": sub.current_period_end if sub else None}
        if sub.stripe_id is None:
            return {"status": "not_allowed", "access_until": sub.current_period_end}
        key = f"cancel-end-{sub.id}-{sub.current_period_end:%Y%m%d}"
        movements.record_cancellation(session, subscription=sub, at_period_end=True,
                                      decision_id=None, key=key)
        access_until = sub.current_period_end
    if gateway is None:
        from bot.billing.gateway import StripeGateway
        gateway = StripeGateway.from_settings()
    entry = movements.execute(engine, gateway, key)
    status = {"succeeded": "cancelled", "failed": "not_allowed"}.get(entry.status, "pending")
    return {"status": status, "access_until": access_until}


def renewal(email: str, *, engine: Engine | None = None) -> dict:
    """Whether the subscription will bill again, and until when access runs."""
    with unit_of_work(engine) as session:
        sub = repository.find_customer(session, email).subscription
        if sub is None:
            return {"renews": False, "access_until": None}
        return {"renews": sub.status != "canceled" and not sub.cancel_at_period_end,
                "access_until": sub.current_period_end}
