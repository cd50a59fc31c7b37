"""The mirror of Stripe: one Stripe object applied to the database, for the webhook and
`bot sync` alike (bot/billing/mirror/follow.py), so both are safe to run at the same time.

Out of order: each mirrored row keeps `stripe_updated_at`, the Stripe time of the newest
state applied to it, and an older state is skipped. We compare times instead of
re-reading the object from Stripe on every event because the webhook then needs no
Stripe call (an outage or a slow Stripe cannot make us answer late and be retried, and
localstripe never retries), and the same guard works for `bot sync`, whose "event time"
is the moment its list request started. Stripe times are whole seconds, so equal times
are applied (last delivered wins); where the data itself has a direction we use it
instead: a canceled subscription never comes back, a failed refund never succeeds.

Refunds the bot makes belong to the ledger (bot/billing/ledger.py): it adds the
amount to the charge and writes the Refund row, with its rule, when Stripe answers.
Here a refund carrying a ledger key is never recorded, and a charge whose ledger refund
is still unfinished keeps its refunded amount until the ledger finishes, so a webhook
that arrives first (or a lost reply that reconciliation finishes later) counts it once.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.billing.gateway import KEY_FIELD
from bot.billing.ledger import mark_refund_returned
from bot.core.statuses import REFUND_RETURNED, UNFINISHED, MovementKind
from bot.db import models


def stripe_time(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), timezone.utc) if value else None


def _id(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def apply_object(session: Session, kind: str, obj: dict, at: datetime) -> bool:
    """Bring the mirror up to `obj` as Stripe held it at `at`; True if a row changed."""
    if not obj.get("id") or obj.get("deleted"):
        return False
    return APPLY[kind](session, obj, at)


def _by_stripe_id(session: Session, model, stripe_id: str | None, *, lock: bool = False):
    if not stripe_id:
        return None
    query = select(model).where(model.stripe_id == stripe_id)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def _stale(row, at: datetime) -> bool:
    return row.stripe_updated_at is not None and at < row.stripe_updated_at


def _update(row, at: datetime, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.stripe_updated_at = max(at, row.stripe_updated_at or at)
    return changed


def _customer(session: Session, obj: dict, at: datetime) -> bool:
    email = (obj.get("email") or "").strip().lower()
    row, linked = _by_stripe_id(session, models.Customer, obj["id"], lock=True), False
    if row is None:
        if not email:
            return False  # the mirror keys customers by address; nothing to hold
        row = session.execute(select(models.Customer).where(models.Customer.email == email)
                              .with_for_update()).scalar_one_or_none()
        if row is None:
            session.add(models.Customer(email=email, name=obj.get("name") or "", stripe_id=obj["id"],
                                        created=stripe_time(obj.get("created")) or at, stripe_updated_at=at,
                                        balance=obj.get("balance")))
            return True
        if row.stripe_id not in (None, obj["id"]):
            return False  # the address belongs to another Stripe customer in the mirror
        row.stripe_id, linked = obj["id"], True
    if _stale(row, at):
        return linked
    values = {"name": obj.get("name") or row.name}
    if obj.get("balance") is not None:
        values["balance"] = int(obj["balance"])
    if email and email != row.email and not session.execute(
            select(models.Customer.id).where(models.Customer.email == email)).first():
        values["email"] = email
    return _update(row, at, values) or linked


def _plan_fields(obj: dict) -> dict:
    item = ((obj.get("items") or {}).get("data") or [{}])[0]
    plan = item.get("plan") or item.get("price") or obj.get("plan")
    if not isinstance(plan, dict):
        return {}
    amount = plan.get("amount", plan.get("unit_amount"))
    interval = plan.get("interval") or (plan.get("recurring") or {}).get("interval")
    if amount is None or not plan.get("currency") or not interval:
        return {}
    currency = plan["currency"].lower()
    # Plans made by `bot seed` are named "<plan>-<price>-<currency>-<interval>".
    name = (plan.get("id") or "").removesuffix(f"-{amount}-{currency}-{interval}")
    return {"plan": name or plan.get("nickname") or "stripe", "price": int(amount),
            "currency": currency, "interval": interval}


def _subscription_fields(obj: dict) -> dict:
    item = ((obj.get("items") or {}).get("data") or [{}])[0]
    # Old API versions (and localstripe) keep the period on the subscription, new ones on items.
    start = obj.get("current_period_start") or item.get("current_period_start")
    end = obj.get("current_period_end") or item.get("current_period_end")
    values = {"status": obj.get("status"), "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
              "canceled_at": stripe_time(obj.get("canceled_at")), "trial_end": stripe_time(obj.get("trial_end")),
              "current_period_start": stripe_time(start), "current_period_end": stripe_time(end), **_plan_fields(obj)}
    return {name: value for name, value in values.items()
            if value is not None or name in ("canceled_at", "trial_end")}


def _seed_stand_in(row: models.Subscription, obj: dict) -> bool:
    """`bot seed` gives Stripe a trial up to the mirrored period's end so Stripe does not
    charge again; until Stripe moves past that, its status and period (trialing, or
    localstripe's "incomplete") stand for a period the seeded charges paid, so the
    mirror's own are the truth."""
    trial_end = stripe_time(obj.get("trial_end"))
    return (obj.get("status") != "canceled" and trial_end is not None
            and (obj.get("metadata") or {}).get("mirror_id") == str(row.id)
            and abs((trial_end - row.current_period_end).total_seconds()) < 1)


def _subscription(session: Session, obj: dict, at: datetime) -> bool:
    values = _subscription_fields(obj)
    row, linked = _by_stripe_id(session, models.Subscription, obj["id"], lock=True), False
    if row is None:
        customer = _by_stripe_id(session, models.Customer, _id(obj.get("customer")))
        if customer is None:
            return False
        row = session.execute(select(models.Subscription).where(
            models.Subscription.customer_id == customer.id).with_for_update()).scalar_one_or_none()
        if row is None:
            required = ("plan", "status", "current_period_start", "current_period_end")
            if any(values.get(name) is None for name in required):
                return False
            session.add(models.Subscription(customer_id=customer.id, stripe_id=obj["id"],
                                            stripe_updated_at=at, **values))
            return True
        if row.stripe_id not in (None, obj["id"]):
            # One subscription per customer in the mirror: a live one replaces a canceled one.
            if not (row.status == "canceled" and values.get("status") != "canceled"):
                return False
            row.stripe_updated_at = None
        row.stripe_id, linked = obj["id"], True
    if _stale(row, at) or (row.status == "canceled" and values.get("status") != "canceled"):
        return linked
    if _seed_stand_in(row, obj):
        values = {name: values[name] for name in ("plan", "price", "currency", "interval",
                                                  "cancel_at_period_end") if name in values}
    return _update(row, at, values) or linked


def _ledger_refund_open(session: Session, charge_id: int) -> bool:
    return session.execute(select(func.count(models.LedgerEntry.id)).where(
        models.LedgerEntry.charge_id == charge_id, models.LedgerEntry.kind == MovementKind.REFUND,
        models.LedgerEntry.status.in_(UNFINISHED))).scalar_one() > 0


def _new_charge(session: Session, customer_ref, charge_id: str, amount: int, currency: str,
                created: datetime, refunded: int, at: datetime, seed_id: str | None = None) -> bool:
    customer = _by_stripe_id(session, models.Customer, _id(customer_ref))
    if customer is None:
        return False  # a payment of nobody we mirror
    # A payment `bot seed` made keeps the seed's id, which people and `bot decide` use.
    external_id = seed_id if seed_id and not session.execute(select(models.Charge.id).where(
        models.Charge.external_id == seed_id)).first() else charge_id
    session.add(models.Charge(customer_id=customer.id, external_id=external_id, stripe_id=charge_id,
                              amount=amount, currency=currency.lower(), created=created,
                              refunded=refunded, stripe_updated_at=at))
    return True


def _charge(session: Session, obj: dict, at: datetime) -> bool:
    refunded = int(obj.get("amount_refunded") or 0)
    row = _by_stripe_id(session, models.Charge, obj["id"], lock=True)
    if row is None:
        if obj.get("status") != "succeeded":
            return False  # the mirror holds payments, not attempts
        return _new_charge(session, obj.get("customer"), obj["id"], int(obj["amount"]), obj["currency"],
                           stripe_time(obj.get("created")) or at, refunded, at,
                           (obj.get("metadata") or {}).get("seed_id"))
    # Refunded grows with each refund, so the larger amount is the newer; it only falls
    # when a refund fails, which `_refund_returned` applies and dates, so a charge state
    # older than that is skipped.
    if _stale(row, at) or refunded <= row.refunded or _ledger_refund_open(session, row.id):
        return False
    return _update(row, at, {"refunded": refunded})


# An invoice moves forward only: draft, open, then paid, void or uncollectible (which can
# still be paid or voided). A state further back than the mirror's is a late delivery.
INVOICE_PROGRESS = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}


def _invoice(session: Session, obj: dict, at: datetime) -> bool:
    changed = _invoice_row(session, obj, at)
    charge = obj.get("charge")
    if isinstance(charge, dict):  # localstripe expands it
        return _charge(session, charge, at) or changed
    if not charge or not obj.get("amount_paid") or _by_stripe_id(session, models.Charge, charge):
        return changed
    paid_at = (obj.get("status_transitions") or {}).get("paid_at") or obj.get("created")
    return _new_charge(session, obj.get("customer"), charge, int(obj["amount_paid"]), obj["currency"],
                       stripe_time(paid_at) or at, 0, at) or changed


def _invoice_row(session: Session, obj: dict, at: datetime) -> bool:
    customer = _by_stripe_id(session, models.Customer, _id(obj.get("customer")))
    status = obj.get("status")
    if customer is None or status not in INVOICE_PROGRESS or not obj.get("currency"):
        return False
    values = {"status": status, "amount_due": int(obj.get("amount_due") or 0),
              "amount_paid": int(obj.get("amount_paid") or 0), "currency": obj["currency"].lower(),
              "subscription_stripe_id": _id(obj.get("subscription")), "charge_stripe_id": _id(obj.get("charge")),
              "period_start": stripe_time(obj.get("period_start")), "period_end": stripe_time(obj.get("period_end")),
              "paid_at": stripe_time((obj.get("status_transitions") or {}).get("paid_at"))}
    row = _by_stripe_id(session, models.Invoice, obj["id"], lock=True)
    if row is None:
        session.add(models.Invoice(stripe_id=obj["id"], customer_id=customer.id, stripe_updated_at=at,
                                   created=stripe_time(obj.get("created")) or at, **values))
        return True
    final = row.status in ("paid", "void") and status != row.status
    if final or INVOICE_PROGRESS[status] < INVOICE_PROGRESS[row.status] or _stale(row, at):
        return False
    return _update(row, at, values)


def _refund(session: Session, obj: dict, at: datetime) -> bool:
    known = _by_stripe_id(session, models.Refund, obj["id"], lock=True)
    if known is not None:
        return _refund_returned(session, known, obj, at) if obj.get("status") in REFUND_RETURNED else False
    metadata = obj.get("metadata") or {}
    if metadata.get(KEY_FIELD) and session.execute(select(models.LedgerEntry.id).where(
            models.LedgerEntry.idempotency_key == metadata[KEY_FIELD])).first():
        return False  # the bot's own: the ledger records it, with its rule
    if obj.get("status") not in ("succeeded", "pending"):
        return False  # failed or canceled: no money went back
    charge = _by_stripe_id(session, models.Charge, _id(obj.get("charge")))
    if charge is None:
        return False
    if metadata.get("seed_id") and session.execute(select(models.Refund.id).where(
            models.Refund.customer_id == charge.customer_id, models.Refund.origin == "seed",
            models.Refund.charge_ref.in_((charge.external_id, metadata["seed_id"])))).first():
        return False  # `bot seed` made it from history the mirror already holds
    session.add(models.Refund(customer_id=charge.customer_id, charge_ref=charge.external_id,
                              amount=int(obj["amount"]), rule=None, created=stripe_time(obj.get("created")) or at,
                              stripe_id=obj["id"], origin="stripe", status=obj["status"]))
    return True


def _refund_returned(session: Session, refund: models.Refund, obj: dict, at: datetime) -> bool:
    """Stripe failed or canceled a refund it had accepted (a closed card, say): the money
    went back to the merchant. Applied once, whoever made the refund; a refund the bot
    made is marked reversed in the ledger and handed to people to pay another way."""
    if refund.status in REFUND_RETURNED:
        return False  # failed and canceled are final in Stripe: a repeat changes nothing
    refund.status = obj["status"]
    charge = session.execute(select(models.Charge).where(
        models.Charge.customer_id == refund.customer_id, models.Charge.external_id == refund.charge_ref)
        .with_for_update()).scalar_one_or_none()
    if charge is not None:
        charge.refunded = max(charge.refunded - refund.amount, 0)
        charge.stripe_updated_at = max(at, charge.stripe_updated_at or at)
    entry = session.execute(select(models.LedgerEntry).where(
        models.LedgerEntry.kind == MovementKind.REFUND,
        models.LedgerEntry.stripe_id == refund.stripe_id)).scalar_one_or_none()
    if entry is not None:
        mark_refund_returned(session, entry, obj, at)
    return True


def _balance_transaction(session: Session, obj: dict, at: datetime) -> bool:
    """Stripe's balance ledger is append-only: each transaction is kept once, and the
    customer's balance is the newest ending balance (a credit the bot made carries its
    ledger key, so it is told apart, never added a second time)."""
    customer = _by_stripe_id(session, models.Customer, _id(obj.get("customer")), lock=True)
    if customer is None or obj.get("ending_balance") is None or obj.get("amount") is None:
        return False
    changed = False
    if obj.get("currency") and _by_stripe_id(session, models.BalanceTransaction, obj["id"]) is None:
        session.add(models.BalanceTransaction(
            stripe_id=obj["id"], customer_id=customer.id, amount=int(obj["amount"]),
            currency=obj["currency"].lower(), ending_balance=int(obj["ending_balance"]),
            type=str(obj.get("type") or "adjustment")[:40], description=obj.get("description"),
            ledger_key=(obj.get("metadata") or {}).get(KEY_FIELD), created=stripe_time(obj.get("created")) or at))
        changed = True
    if _stale(customer, at):
        return changed
    return _update(customer, at, {"balance": int(obj["ending_balance"])}) or changed


APPLY = {"customers": _customer, "subscriptions": _subscription, "charges": _charge,
         "invoices": _invoice, "refunds": _refund, "balance_transactions": _balance_transaction}
