"""Following Stripe: signed webhook events and the `bot sync` backfill keep the mirror
current. Both hand each Stripe object to `bot.billing.mirror.apply.apply_object`.

The webhook applies each event id once (events repeat), in the same transaction as the
change it makes; the backfill pages through Stripe's lists and resumes where an
interrupted run stopped.
"""
from __future__ import annotations

import json
import logging

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.billing.ledger import RETURNED_REFUNDS
from bot.billing.mirror.apply import apply_object, stripe_time
from bot.billing.reconcile import tell_customer
from bot.clock import now_utc
from bot.db import models
from bot.db.session import unit_of_work

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300  # Stripe's default; a replayed old delivery is refused
# Parents before children. Balance transactions are listed per customer in Stripe (and not
# at all by localstripe): their webhooks and `customer.balance` keep the mirror current.
RESOURCES = ("customers", "subscriptions", "charges", "invoices", "refunds")


class BadSignature(ValueError):
    """The request is not a fresh event signed with our endpoint secret."""


# --- the webhook ----------------------------------------------------------------------

def verify(payload: bytes, signature: str | None, secret: str | None) -> dict:
    if not secret:
        raise BadSignature("the Stripe webhook secret is not configured")
    if not signature:
        raise BadSignature("missing Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
        event = json.loads(payload)  # plain dicts, as the list endpoints give to `bot sync`
    except stripe.SignatureVerificationError:
        raise BadSignature("bad or expired Stripe signature") from None
    except ValueError:
        raise BadSignature("the body is not a Stripe event") from None
    if not isinstance(event, dict) or not event.get("id") or not isinstance(event.get("data"), dict):
        raise BadSignature("the body is not a Stripe event")
    return event


def handle_event(event: dict, *, engine=None, notifier=None) -> str:
    """Apply a verified event once: 'applied', 'unchanged', 'ignored' or 'duplicate'.

    A refund of the bot's that Stripe returns is told to the customer's conversation
    through `notifier` (bot/notify/outbound.py), after the ledger records it."""
    kind = EVENTS.get(event.get("type", ""))
    at = stripe_time(event.get("created")) or now_utc()
    try:
        with unit_of_work(engine) as session:
            row = models.StripeEvent(event_id=event["id"], type=str(event.get("type", ""))[:100],
                                     created=at, outcome="ignored")
            session.add(row)
            session.flush()  # a second delivery stops here, before it changes anything
            if kind is not None:
                changed = apply_object(session, kind, event["data"].get("object") or {}, at)
                row.outcome = "applied" if changed else "unchanged"
            returned = session.info.get(RETURNED_REFUNDS, [])
        for entry in returned:
            tell_customer(engine, entry, notifier)
        return row.outcome
    except IntegrityError:
        with unit_of_work(engine) as session:
            seen = session.execute(select(models.StripeEvent.id).where(
                models.StripeEvent.event_id == event["id"])).first()
        if seen:
            return "duplicate"
        raise


EVENTS = {
    "customer.created": "customers", "customer.updated": "customers",
    "customer.subscription.created": "subscriptions", "customer.subscription.updated": "subscriptions",
    "customer.subscription.deleted": "subscriptions",
    "invoice.created": "invoices", "invoice.finalized": "invoices", "invoice.updated": "invoices",
    "invoice.paid": "invoices", "invoice.payment_succeeded": "invoices", "invoice.payment_failed": "invoices",
    "invoice.voided": "invoices", "invoice.marked_uncollectible": "invoices",
    "charge.succeeded": "charges", "charge.updated": "charges", "charge.refunded": "charges",
    "charge.refund.updated": "refunds", "refund.created": "refunds", "refund.updated": "refunds",
    "customer.balance_transaction.created": "balance_transactions",
    "customer.balance_transaction.updated": "balance_transactions",
}


# --- `bot sync`: the backfill -----------------------------------------------------------

def _lister(gateway, resource: str):
    client = gateway.client  # the gateway's own StripeClient: same key, base and retries
    base = {"subscriptions": {"status": "all"}}.get(resource, {})
    method = getattr(client, resource).list
    return lambda params: method(params={**base, **params})


def sync_from_stripe(engine, gateway, *, page_size: int = 100, progress=None) -> dict:
    """Page through Stripe's lists into the mirror; resumes where an interrupted run stopped.

    Each page and its cursor are one transaction, so a run killed at any point resumes
    after the last page it finished, and applying a page twice changes nothing."""
    totals = {"read": 0, "changed": 0, "resumed": False}
    with unit_of_work(engine) as session:
        cursors = {c.resource: c for c in session.execute(select(models.StripeSyncCursor)).scalars()}
        totals["resumed"] = bool(cursors)
        for resource in RESOURCES:
            if resource not in cursors:
                session.add(models.StripeSyncCursor(resource=resource, after_id=None, done=False))
    for resource in RESOURCES:
        _sync_resource(engine, resource, _lister(gateway, resource), page_size, progress, totals)
    with unit_of_work(engine) as session:
        for cursor in session.execute(select(models.StripeSyncCursor)).scalars():
            session.delete(cursor)  # complete: the next run reads everything again
    return totals


def _sync_resource(engine, resource: str, list_page, page_size: int, progress, totals: dict) -> None:
    with unit_of_work(engine) as session:
        cursor = session.execute(select(models.StripeSyncCursor).where(
            models.StripeSyncCursor.resource == resource)).scalar_one()
        after, done = cursor.after_id, cursor.done
    read = 0
    while not done:
        # Objects are at least as new as the moment we asked, so that is their time; a
        # webhook event made while the page was in flight is newer and still applies.
        asked_at = now_utc()
        params = {"limit": page_size, **({"starting_after": after} if after else {})}
        try:
            page = list_page(params)
        except stripe.StripeError as exc:
            raise RuntimeError(f"Stripe {resource}: {exc.user_message or exc}") from None
        page = page.to_dict() if hasattr(page, "to_dict") else page
        items = page.get("data") or []
        with unit_of_work(engine) as session:
            for obj in items:
                totals["changed"] += apply_object(session, resource, obj, asked_at)
            cursor = session.execute(select(models.StripeSyncCursor).where(
                models.StripeSyncCursor.resource == resource)).scalar_one()
            after = items[-1]["id"] if items else after
            done = not items or not page.get("has_more")
            cursor.after_id, cursor.done, cursor.updated_at = after, done, now_utc()
        read += len(items)
        totals["read"] += len(items)
        if progress:
            progress(read, read if done else read + page_size, f"{resource} {after or ''}")
