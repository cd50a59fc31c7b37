"""The Stripe adapter: every call the product makes to Stripe goes through here.

It speaks the official `stripe` library to real Stripe or to the local stand-in
(localstripe, always a separate process). Where the stand-in falls short (idempotency
keys ignored, no over-refund check, ids or objects at random) the gateway covers the
gap in a way that is also right for real Stripe: the idempotency key is both sent and
stored in the object's metadata, so a retry can find what an earlier attempt made.
"""
from __future__ import annotations

from datetime import datetime, timezone

import stripe

from bot.observability.metrics import STRIPE_ERRORS
from bot.settings import settings

KEY_FIELD = "idempotency_key"


class GatewayError(RuntimeError):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class OverRefund(GatewayError):
    def __init__(self, message: str):
        super().__init__(message, retryable=False)


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _id(value) -> str | None:
    """Stripe returns either an id or an expanded object, depending on server and version."""
    if value is None or isinstance(value, str):
        return value
    return value["id"]


def _time(value) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value else None


def _wrap(exc: stripe.StripeError) -> GatewayError:
    status = getattr(exc, "http_status", None)
    retryable = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or \
        (status is not None and status >= 500) or (status is None and not isinstance(exc, stripe.CardError))
    STRIPE_ERRORS.labels(type(exc).__name__, str(retryable).lower()).inc()
    return GatewayError(f"Stripe: {type(exc).__name__}: {exc.user_message or str(exc)}"[:500],
                        retryable=retryable)


class StripeGateway:
    def __init__(self, api_key: str, *, api_base: str | None = None, http_client=None,
                 max_network_retries: int = 2, timeout: float = 10.0):
        addresses = {"api": api_base} if api_base else None
        # Connecting takes milliseconds when Stripe is up; a refused or black-holed
        # connection should fail fast, a slow answer may take the full `timeout`.
        http_client = http_client or stripe.RequestsClient(timeout=(min(5.0, timeout), timeout))
        self.client = stripe.StripeClient(api_key, base_addresses=addresses, http_client=http_client,
                                          max_network_retries=max_network_retries).v1

    @classmethod
    def from_settings(cls) -> "StripeGateway":
        config = settings()
        return cls(config.stripe_api_key, api_base=config.stripe_api_base,
                   timeout=config.stripe_timeout_seconds)

    def _call(self, method, *args, **kwargs) -> dict:
        try:
            return _plain(method(*args, **kwargs))
        except stripe.StripeError as exc:
            raise _wrap(exc) from exc

    @staticmethod
    def _keyed(key: str) -> dict:
        # No blind in-process retries of a write: a reply lost after Stripe acted would be
        # sent again, and a server that ignores idempotency keys (localstripe) acts twice.
        # The ledger retries instead, after looking in Stripe for what the key already made.
        return {"idempotency_key": key, "max_network_retries": 0}

    # --- customers, plans, subscriptions -------------------------------------------

    def ensure_customer(self, email: str, name: str, *, metadata: dict) -> str:
        found = self._call(self.client.customers.list, params={"email": email, "limit": 1})["data"]
        if found:
            return found[0]["id"]
        return self._call(self.client.customers.create, params={
            "email": email, "name": name, "metadata": metadata, "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]

    def ensure_plan(self, plan_id: str, amount: int, currency: str, interval: str, *,
                    product_name: str) -> str:
        # Plans, not Prices: localstripe has no Prices, and real Stripe accepts a plan id
        # wherever a price id goes.
        try:
            return _plain(self.client.plans.retrieve(plan_id))["id"]
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise _wrap(exc) from exc
        product = self._call(self.client.products.create, params={"name": product_name})
        return self._call(self.client.plans.create, params={
            "id": plan_id, "amount": amount, "currency": currency, "interval": interval,
            "product": product["id"]})["id"]

    def create_subscription(self, customer_id: str, plan_id: str, *, trial_end: datetime | None,
                            metadata: dict) -> dict:
        params = {"customer": customer_id, "items": [{"plan": plan_id}], "metadata": metadata}
        if trial_end is not None:
            params["trial_end"] = int(trial_end.timestamp())
        return self._subscription(self._call(self.client.subscriptions.create, params=params))

    def cancel_subscription(self, subscription_id: str, *, at_period_end: bool,
                            idempotency_key: str) -> dict:
        if at_period_end:
            sub = self._call(self.client.subscriptions.update, subscription_id,
                             params={"cancel_at_period_end": True}, options=self._keyed(idempotency_key))
        else:
            current = self._call(self.client.subscriptions.retrieve, subscription_id)
            if current["status"] == "canceled":  # a retry after the first attempt went through
                return self._subscription(current)
            sub = self._call(self.client.subscriptions.cancel, subscription_id,
                             options=self._keyed(idempotency_key))
        return self._subscription(sub)

    @staticmethod
    def _subscription(sub: dict) -> dict:
        """Period fields live on the subscription (old API, localstripe) or its items (new)."""
        item = (sub.get("items") or {}).get("data") or [{}]
        start = sub.get("current_period_start") or item[0].get("current_period_start")
        end = sub.get("current_period_end") or item[0].get("current_period_end")
        plan = item[0].get("plan") or item[0].get("price") or {}
        return {"id": sub["id"], "status": sub["status"], "item_id": item[0].get("id"),
                "customer": _id(sub.get("customer")),
                "plan": _id(plan), "cancel_at_period_end": bool(sub.get("cancel_at_period_end")),
                "current_period_start": _time(start), "current_period_end": _time(end),
                "trial_end": _time(sub.get("trial_end"))}

    # --- money -------------------------------------------------------------------------

    def create_payment(self, customer_id: str, amount: int, currency: str, *, metadata: dict,
                       idempotency_key: str) -> str:
        """A successful card payment; returns its charge id. Used to seed billing history."""
        existing = self._find_by_key(
            self.client.charges.list, {"customer": customer_id, "limit": 100}, idempotency_key)
        if existing:
            return existing["id"]
        stamped = {**metadata, KEY_FIELD: idempotency_key}
        intent = self._call(self.client.payment_intents.create, params={
            "amount": amount, "currency": currency, "customer": customer_id,
            "payment_method": "pm_card_visa", "confirm": True, "metadata": stamped,
            "payment_method_types": ["card"]}, options=self._keyed(idempotency_key))
        charge_id = _id(intent.get("latest_charge")) or _id(intent["charges"]["data"][0])
        # Real Stripe and localstripe differ on copying the intent's metadata to the charge.
        self._call(self.client.charges.update, charge_id, params={"metadata": stamped})
        return charge_id

    def refund(self, charge_id: str, amount: int, *, idempotency_key: str, metadata: dict) -> dict:
        existing = self.find_refund(charge_id, idempotency_key)
        if existing:
            return existing
        charge = self._call(self.client.charges.retrieve, charge_id)
        remaining = charge["amount"] - charge.get("amount_refunded", 0)
        if amount <= 0 or amount > remaining:
            raise OverRefund(f"refund of {amount} on {charge_id} exceeds what remains ({remaining})")
        refund = self._call(self.client.refunds.create, params={
            "charge": charge_id, "amount": amount,
            "metadata": {**metadata, KEY_FIELD: idempotency_key}}, options=self._keyed(idempotency_key))
        return self._refund(refund)

    def find_refund(self, charge_id: str, idempotency_key: str) -> dict | None:
        found = self._find_by_key(self.client.refunds.list, {"charge": charge_id, "limit": 100},
                                  idempotency_key)
        return self._refund(found) if found else None

    @staticmethod
    def _refund(refund: dict) -> dict:
        return {"id": refund["id"], "amount": refund["amount"], "status": refund.get("status"),
                "charge": _id(refund.get("charge")), "failure_reason": refund.get("failure_reason")}

    def _find_by_key(self, list_method, params: dict, key: str) -> dict | None:
        for item in self._call(list_method, params=params)["data"]:
            if (item.get("metadata") or {}).get(KEY_FIELD) == key:
                return item
        return None

    def credit_next_invoice(self, customer_id: str, amount: int, currency: str, *, description: str,
                            idempotency_key: str) -> dict:
        """A credit on the customer's next invoice: a negative invoice item. Real Stripe and
        localstripe both keep invoice items (localstripe has no customer balance), and the
        item is found again by its key, which localstripe would otherwise ignore."""
        if amount <= 0:
            raise GatewayError("a credit must be a positive amount", retryable=False)
        item = self._find_by_key(self.client.invoice_items.list, {"customer": customer_id, "limit": 100},
                                 idempotency_key) or self._call(self.client.invoice_items.create, params={
                                     "customer": customer_id, "amount": -amount, "currency": currency,
                                     "description": description, "metadata": {KEY_FIELD: idempotency_key}},
                                     options=self._keyed(idempotency_key))
        return {"id": item["id"], "amount": item["amount"], "currency": item["currency"]}

    # --- plan changes (R7) ---------------------------------------------------------------

    def subscription(self, subscription_id: str) -> dict:
        return self._subscription(self._call(self.client.subscriptions.retrieve, subscription_id))

    def preview_plan_change(self, subscription_id: str, new_plan_id: str, *, proration_date: datetime) -> dict:
        """The invoice the change would make, prorated as if made at `proration_date` (the
        moment the customer is quoted; the change itself passes the same moment)."""
        return self._preview(self.subscription(subscription_id), new_plan_id, proration_date)

    def next_invoice(self, subscription_id: str) -> dict:
        """The subscription's next invoice as it stands: its plan and pending items (credits)."""
        sub = self.subscription(subscription_id)
        return self._preview(sub, sub["plan"])

    def _preview(self, sub: dict, plan_id: str, proration_date: datetime | None = None) -> dict:
        # Always naming the subscription's item: localstripe, asked for a plain preview, attaches
        # the customer's pending invoice items to the preview, and so loses them (credits too).
        details = {"items": [{"id": sub["item_id"], "plan": plan_id}]}
        if proration_date is not None:
            details["proration_date"] = int(proration_date.timestamp())
        invoice = self._call(self.client.invoices.create_preview, params={
            "customer": sub["customer"], "subscription": sub["id"], "subscription_details": details})
        # With the subscription as Stripe holds it, which the preview prorates: checked against
        # the documented arithmetic before a customer is quoted (bot/core/plan_quotes.py).
        return {"amount_due": invoice["amount_due"], "currency": invoice["currency"],
                "lines": [{"amount": line["amount"], "description": line.get("description"),
                           "proration": bool(line.get("proration"))}
                          for line in invoice["lines"]["data"]],
                "subscription": sub}

    def change_plan(self, subscription_id: str, new_plan_id: str, *, proration_date: datetime,
                    idempotency_key: str) -> dict:
        """Move to `new_plan_id`, prorated at `proration_date`: exactly what the preview quoted."""
        sub = self.subscription(subscription_id)
        if sub["plan"] == new_plan_id:  # a retry after the change went through
            return sub
        # `plan` items, not `price`: localstripe silently ignores price items.
        updated = self._call(self.client.subscriptions.update, subscription_id, params={
            "items": [{"id": sub["item_id"], "plan": new_plan_id}],
            "proration_date": int(proration_date.timestamp())}, options=self._keyed(idempotency_key))
        return self._subscription(updated)
