"""Seed files (docs/contracts.md section 2): validate everything, then write.

`parse_seed` is pure: it turns YAML text into plain data or raises SeedError naming
the customer and field (`parse_canned_replies` likewise for the replies agents reuse, an
optional part of a seed). `load_seed` writes what is missing to the database (never
overwriting what is there, so a second load changes nothing) and, given a gateway,
creates the matching objects in Stripe.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import canned_replies
from bot.core import domain
from bot.core.timeutil import parse_utc
from bot.db import models

STATUSES = ("trialing", "active", "past_due", "canceled")
INTERVALS = ("month", "year")
RULES = tuple(f"R{i}" for i in range(9))
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY = re.compile(r"^[a-z]{3}$")
MAX_AMOUNT = 2**63 - 1  # the BIGINT columns; a larger amount fails at write time, not with a SeedError
MAX_TEXT = 100  # the narrowest text column a seed fills (plan, feature); PostgreSQL refuses longer


class SeedError(ValueError):
    pass


class _SeedLoader(yaml.SafeLoader):
    """Safe YAML with times left as text, so a bad time is reported by customer and field."""


_SeedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class DemoNote:
    """What the widget's demo page says about a demo customer (the seed's optional `demo`)."""
    shows: str  # what their account is like, and what the rules make of it
    ask: str  # a question to try


@dataclass(frozen=True)
class SeedCustomer:
    account: domain.Account
    created: datetime
    demo: DemoNote | None = None


# --- parsing -------------------------------------------------------------------------

class _Fields:
    """Reads one mapping, naming the customer and field in every error."""

    def __init__(self, data: object, where: str):
        if not isinstance(data, dict):
            raise SeedError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data, self.where = data, where

    def _fail(self, key: str, problem: str):
        raise SeedError(f"{self.where}: field '{key}' {problem}")

    def get(self, key, default=None, *, required=False):
        if key not in self.data or self.data[key] is None:
            if required:
                self._fail(key, "is required")
            return default
        return self.data[key]

    def text(self, key, *, required=True, pattern=None, default=None, lower=False) -> str:
        value = self.get(key, default, required=required)
        if value is None:
            return value
        if not isinstance(value, str) or not value.strip():
            self._fail(key, f"must be a non-empty string, got {value!r}")
        value = value.strip().lower() if lower else value.strip()
        if len(value) > MAX_TEXT:
            self._fail(key, f"is longer than {MAX_TEXT} characters")
        if pattern and not pattern.match(value):
            self._fail(key, f"is malformed: {value!r}")
        return value

    def amount(self, key, *, required=True, default=0, positive=False) -> int:
        value = self.get(key, default, required=required)
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(key, f"must be an integer amount in minor units, got {value!r}")
        if value < 0 or (positive and value == 0):
            self._fail(key, f"must be {'positive' if positive else 'zero or more'}, got {value}")
        if value > MAX_AMOUNT:
            self._fail(key, f"is too large ({value})")
        return value

    def time(self, key, *, required=True, shift=timedelta(0)) -> datetime | None:
        value = self.get(key, required=required)
        if value is None:
            return None
        try:
            return parse_utc(value) + shift
        except ValueError:
            self._fail(key, f"is not an ISO 8601 time: {value!r}")
        except OverflowError:  # a far-off time moved by `relative_to` leaves datetime's range
            self._fail(key, f"is out of range once moved to now: {value!r}")

    def choice(self, key, options, *, required=True, default=None) -> str:
        value = self.get(key, default, required=required)
        if value not in options:
            self._fail(key, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def flag(self, key, default=False) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            self._fail(key, f"must be true or false, got {value!r}")
        return value

    def items(self, key) -> list:
        value = self.get(key, [])
        if not isinstance(value, list):
            self._fail(key, "must be a list")
        return value


def _document(text: str) -> _Fields:
    try:
        data = yaml.load(text, Loader=_SeedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SeedError(f"seed is not valid YAML: {str(exc).splitlines()[0]}") from None
    except ValueError as exc:  # explicit tags (!!timestamp 2026-13-45, !!int 0x) fail in the constructor
        raise SeedError(f"seed has a malformed tagged value: {exc}") from None
    except RecursionError:
        raise SeedError("seed is nested too deeply") from None
    return _Fields(data, "seed")


def parse_seed(text: str, *, now: datetime | None = None) -> list[SeedCustomer]:
    """Validate a whole seed file. `now` anchors files that declare `relative_to`."""
    top = _document(text)
    shift = timedelta(0)
    if top.get("relative_to") is not None:
        # Demo seeds are written as if it were `relative_to`; move them to `now`.
        if now is None:
            raise SeedError("seed: field 'relative_to' needs a time to anchor to")
        shift = now - top.time("relative_to")
    raw_customers = top.items("customers")
    if not raw_customers:
        raise SeedError("seed: field 'customers' must list at least one customer")
    customers, emails, charge_ids = [], set(), set()
    for index, raw in enumerate(raw_customers, start=1):
        label = raw.get("email") if isinstance(raw, dict) and isinstance(raw.get("email"), str) else f"#{index}"
        customer = _parse_customer(_Fields(raw, f"customer {label}"), shift)
        email = customer.account.email
        if email in emails:
            raise SeedError(f"customer {email}: appears twice in the seed")
        emails.add(email)
        for charge in customer.account.charges:
            if charge.id in charge_ids:
                raise SeedError(f"customer {email}: charge id '{charge.id}' is used twice")
            charge_ids.add(charge.id)
        customers.append(customer)
    return customers


def parse_canned_replies(text: str) -> list[tuple[str, str]]:
    """The seed's optional `canned_replies` (replies agents reuse: `title`, `body` with
    {variables}), as (title, body), validated like the console's own form."""
    replies, titles = [], set()
    for index, raw in enumerate(_document(text).items("canned_replies"), start=1):
        reply = _Fields(raw, f"canned_replies[{index}]")
        title, body = reply.text("title"), reply.get("body", required=True)
        if not isinstance(body, str):
            reply._fail("body", f"must be text, got {body!r}")
        try:
            title, body = canned_replies.checked(title, body)
        except canned_replies.CannedReplyError as exc:
            raise SeedError(f"{reply.where}: {exc}") from None
        if title in titles:
            reply._fail("title", f"{title!r} appears twice")
        titles.add(title)
        replies.append((title, body))
    return replies


def _parse_customer(f: _Fields, shift: timedelta) -> SeedCustomer:
    email = f.text("email", pattern=EMAIL, lower=True)
    sub = _parse_subscription(_Fields(f.get("subscription"), f"{f.where} subscription"), shift) \
        if f.get("subscription") is not None else None
    charges = []
    for i, raw in enumerate(f.items("charges"), start=1):
        c = _Fields(raw, f"{f.where} charges[{i}]")
        amount = c.amount("amount", positive=True)
        refunded = c.amount("refunded", required=False)
        if refunded > amount:
            c._fail("refunded", f"({refunded}) exceeds the amount ({amount})")
        charges.append(domain.Charge(
            id=c.text("id"), amount=amount, currency=c.text("currency", pattern=CURRENCY, lower=True),
            created=c.time("created", shift=shift), refunded=refunded))
    refunds = []
    for i, raw in enumerate(f.items("refunds"), start=1):
        r = _Fields(raw, f"{f.where} refunds[{i}]")
        refunds.append(domain.PriorRefund(
            charge_id=r.text("charge"), amount=r.amount("amount", positive=True),
            rule=r.choice("rule", RULES), created=r.time("created", shift=shift)))
    charges = _reconcile_refunded(f, charges, refunds)
    incidents = []
    for i, raw in enumerate(f.items("incidents"), start=1):
        n = _Fields(raw, f"{f.where} incidents[{i}]")
        start, end = n.time("start", shift=shift), n.time("end", required=False, shift=shift)
        if end is not None and end < start:
            n._fail("end", "is before its start")
        incidents.append(domain.Incident(feature=n.text("feature"), start=start, end=end))
    account = domain.Account(
        email=email, name=f.text("name", required=False, default=email.split("@")[0]),
        subscription=sub, charges=tuple(charges), refunds=tuple(refunds), incidents=tuple(incidents))
    demo = None
    if f.get("demo") is not None:
        note = _Fields(f.get("demo"), f"{f.where} demo")
        demo = DemoNote(shows=note.text("shows"), ask=note.text("try"))
    return SeedCustomer(account=account, created=f.time("created", shift=shift), demo=demo)


def _reconcile_refunded(f, charges, refunds):
    """A charge's refunded amount covers at least the refunds the seed lists for it."""
    by_id = {c.id: c for c in charges}
    listed: dict[str, int] = {}
    for refund in refunds:
        listed[refund.charge_id] = listed.get(refund.charge_id, 0) + refund.amount
    for charge_id, total in listed.items():
        charge = by_id.get(charge_id)
        if charge is None:
            continue  # history may name an older charge the seed does not list
        if total > charge.amount:
            raise SeedError(f"{f.where}: refunds of charge '{charge_id}' ({total}) exceed its amount ({charge.amount})")
        by_id[charge_id] = replace(charge, refunded=max(charge.refunded, total))
    return [by_id[c.id] for c in charges]


def _parse_subscription(s: _Fields, shift: timedelta) -> domain.Subscription:
    start = s.time("current_period_start", shift=shift)
    end = s.time("current_period_end", shift=shift)
    if end <= start:
        s._fail("current_period_end", "must be after current_period_start")
    return domain.Subscription(
        plan=s.text("plan"), price=s.amount("price"),
        currency=s.text("currency", pattern=CURRENCY, lower=True),
        interval=s.choice("interval", INTERVALS), status=s.choice("status", STATUSES),
        trial_end=s.time("trial_end", required=False, shift=shift),
        current_period_start=start, current_period_end=end,
        cancel_at_period_end=s.flag("cancel_at_period_end"),
        canceled_at=s.time("canceled_at", required=False, shift=shift))


# --- writing -------------------------------------------------------------------------

def write_customers(session: Session, customers: list[SeedCustomer]) -> int:
    """Insert what is missing; return how many customers were new. Existing rows are kept.
    A SeedError here leaves the caller's transaction to roll back whole."""
    new = 0
    for seed in customers:
        account = seed.account
        row = session.execute(
            select(models.Customer).where(models.Customer.email == account.email)
        ).scalar_one_or_none()
        if row is not None:
            continue
        new += 1
        row = models.Customer(email=account.email, name=account.name, created=seed.created)
        session.add(row)
        session.flush()
        if account.subscription:
            s = account.subscription
            session.add(models.Subscription(
                customer_id=row.id, plan=s.plan, price=s.price, currency=s.currency,
                interval=s.interval, status=s.status, trial_end=s.trial_end,
                current_period_start=s.current_period_start, current_period_end=s.current_period_end,
                cancel_at_period_end=s.cancel_at_period_end, canceled_at=s.canceled_at))
        for c in account.charges:
            # Another customer's charge id would fail the unique index half-way through.
            if session.execute(select(models.Charge.id).where(models.Charge.external_id == c.id)).first():
                raise SeedError(f"customer {account.email}: charge id '{c.id}' already belongs to another customer")
            session.add(models.Charge(customer_id=row.id, external_id=c.id, amount=c.amount,
                                      currency=c.currency, created=c.created, refunded=c.refunded))
        for r in account.refunds:
            session.add(models.Refund(customer_id=row.id, charge_ref=r.charge_id, amount=r.amount,
                                      rule=r.rule, created=r.created, origin="seed"))
        for i in account.incidents:
            session.add(models.Incident(customer_id=row.id, feature=i.feature, start=i.start, end=i.end))
    return new


def write_canned_replies(session: Session, replies: list[tuple[str, str]], *, now: datetime) -> int:
    """Add the replies whose title is new; return how many. One an agent changed is kept."""
    existing = set(session.execute(select(models.CannedReply.title)).scalars())
    new = [(title, body) for title, body in replies if title not in existing]
    session.add_all(models.CannedReply(title=title, body=body, created_by="the seed file", created_at=now)
                    for title, body in new)
    return len(new)


Progress = Callable[[int, int, str], None]
