"""Attacks on what agents approve (issue 26, items 2, 6 and 10), on a real localstripe.

- A refund approved by an agent that Stripe then refuses showed "Approved." in the console,
  opened nothing for a person, and told the customer Stripe's own error text.
- A credit's ledger key came from the subscription's period at approval time, so a case
  decided after the period rolled over paid the same outage again.
- Credits were customer balance transactions, which the embedded Stripe (localstripe) does
  not have: every approved credit on `make run` failed.
"""
from __future__ import annotations

import re

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.app import agents
from bot.app.case_decisions import CaseError, decide_case
from bot.app.refunds import assess_refund
from bot.billing import ledger
from bot.billing.mirror.push import push_to_stripe
from bot.billing.reconcile import reconcile
from bot.clock import now_utc
from bot.core.statuses import CaseKind, LedgerStatus
from bot.db import models
from bot.db.session import unit_of_work
from bot.ops.seed import parse_seed, write_customers
from tests.conftest import DEMO_NOW, DEMO_SEED
from tests.integration.test_attacks_console import CSRF, PASSWORD, run, signed_in

# What a customer must never read: Stripe's words or ids, the local stand-in, minor units.
NOT_FOR_CUSTOMERS = re.compile(r"stripe|localstripe|\b(ch|re|ii|cus|sub|in)_\w+|exceeds|4900|3084|2042", re.I)


class RecordingNotifier:
    def __init__(self):
        self.told = []

    def tell(self, *, channel, conversation_id, text, **_):
        self.told.append((conversation_id, text))


def case_of(engine, email: str, reason: str, conversation: str, now=DEMO_NOW) -> int:
    return assess_refund(email, reason, now=now, channel="rest", conversation_id=conversation,
                         engine=engine).case_id


@pytest.fixture
def running(engine, gateway):
    """The demo customers as `make run` seeds them: moved to now, so each live subscription is a
    Stripe trial to its period's end and Stripe has invoiced nothing yet. (localstripe previews an
    invoice of a subscription it has invoiced before with that invoice as "unused time".)"""
    now = now_utc()
    with unit_of_work(engine) as session:
        write_customers(session, parse_seed(DEMO_SEED.read_text(), now=now))
    push_to_stripe(engine, gateway)
    return engine, now


def stripe_ids(engine, email: str) -> tuple[str, str, str | None]:
    """(customer, subscription, latest charge) as Stripe knows them."""
    with unit_of_work(engine) as session:
        customer = session.execute(select(models.Customer).where(models.Customer.email == email)).scalar_one()
        charge = customer.charges[-1].stripe_id if customer.charges else None
        return customer.stripe_id, customer.subscription.stripe_id, charge


def cases_of(engine, email: str) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        return [(c.kind, c.status) for c in session.execute(
            select(models.ReviewCase).join(models.Customer).where(models.Customer.email == email)
            .order_by(models.ReviewCase.id)).scalars()]


# --- item 10: credits on the embedded Stripe, on the next invoice -------------------------

def test_an_approved_credit_comes_off_the_next_invoice_on_the_embedded_stripe(running, gateway):
    live_engine, now = running
    notifier = RecordingNotifier()
    case_id = case_of(live_engine, "finn@example.com", "technical_problem", "finn-outage", now)
    result = decide_case(case_id, "alice", "approve", note="Sorry about the outage.", now=now,
                         gateway=gateway, engine=live_engine, notifier=notifier)
    assert (result["status"], result["movement"], result["amount"]) == ("approved", "succeeded", 2042)
    _customer, subscription, _charge = stripe_ids(live_engine, "finn@example.com")
    upcoming = gateway.next_invoice(subscription)
    assert [(line["amount"], line["description"]) for line in upcoming["lines"] if line["amount"] < 0] == \
        [(-2042, f"Service credit, case #{case_id}")]
    assert upcoming["amount_due"] == 4900 - 2042
    assert gateway.next_invoice(subscription) == upcoming  # looking at it again changes nothing
    [(_conversation, told)] = notifier.told
    assert told.startswith(f"About case #{case_id}: a credit towards your next invoice of $20.42 has been made")


def test_a_credit_whose_reply_was_lost_is_found_again_not_made_twice(running, gateway):
    """localstripe ignores idempotency keys: the retry must find the credit by its key."""
    live_engine, now = running
    case_id = case_of(live_engine, "finn@example.com", "technical_problem", "finn-lost", now)
    first = decide_case(case_id, "alice", "approve", note="Sorry.", now=now, gateway=gateway, engine=live_engine)
    with unit_of_work(live_engine) as session:  # as if the process died before recording Stripe's reply
        entry = ledger.by_key(session, session.get(models.ReviewCase, case_id).decision.executed["ledger_key"])
        entry.status, entry.stripe_id, entry.updated_at = LedgerStatus.IN_FLIGHT, None, now
    [done] = reconcile(live_engine, gateway, now=now + ledger.CLAIM_LEASE * 2)
    assert (done.status, done.stripe_id) == ("succeeded", first["stripe_id"])
    customer, subscription, _charge = stripe_ids(live_engine, "finn@example.com")
    items = gateway.client.invoice_items.list(params={"customer": customer}).data
    assert [item.amount for item in items] == [-2042]


# --- item 6: a credit is keyed by the period its decision was about ----------------------

def test_a_credit_case_decided_after_the_period_rolled_over_pays_nothing_twice(running, gateway):
    live_engine, now = running
    first = case_of(live_engine, "finn@example.com", "technical_problem", "finn-widget", now)
    second = case_of(live_engine, "finn@example.com", "technical_problem", "finn-email", now)
    assert first != second  # two conversations, two cases about the same outage in the same period
    paid = decide_case(first, "alice", "approve", note="Sorry.", now=now, gateway=gateway, engine=live_engine)
    assert paid["movement"] == "succeeded"
    with unit_of_work(live_engine) as session:  # the next renewal reaches the mirror
        sub = session.execute(select(models.Subscription).join(models.Customer)
                              .where(models.Customer.email == "finn@example.com")).scalar_one()
        sub.current_period_start = sub.current_period_end
        sub.current_period_end += relativedelta(months=1)
    with pytest.raises(CaseError, match=f"case #{first}'s credit of 20.42 USD for this period was already paid "
                                        "by alice"):
        decide_case(second, "bob", "approve", note="Sorry.", now=now + relativedelta(months=1),
                    gateway=gateway, engine=live_engine)
    customer, _subscription, _charge = stripe_ids(live_engine, "finn@example.com")
    assert [item.amount for item in gateway.client.invoice_items.list(params={"customer": customer}).data] == [-2042]


# --- item 2: an approved refund Stripe refuses --------------------------------------------

def refunded_in_the_dashboard(engine, gateway, email: str) -> None:
    """Someone refunded the payment in Stripe's dashboard: the mirror has not heard yet."""
    _customer, _subscription, charge = stripe_ids(engine, email)
    gateway.client.refunds.create(params={"charge": charge, "amount": 4900})


def test_an_approved_refund_stripe_refuses_is_failed_followed_up_and_told_plainly(live_engine, gateway):
    notifier = RecordingNotifier()
    case_id = case_of(live_engine, "ben@example.com", "late_cancellation", "ben-refused")
    refunded_in_the_dashboard(live_engine, gateway, "ben@example.com")
    result = decide_case(case_id, "alice", "approve", note="Sorry for the trouble.", now=DEMO_NOW,
                         gateway=gateway, engine=live_engine, notifier=notifier)
    assert (result["status"], result["movement"]) == ("failed", "failed")
    assert cases_of(live_engine, "ben@example.com") == [(CaseKind.REFUND, "failed"), (CaseKind.TICKET, "open")]
    with unit_of_work(live_engine) as session:
        follow_up = session.execute(select(models.ReviewCase).where(models.ReviewCase.kind == CaseKind.TICKET)
                                    ).scalar_one()
        assert (follow_up.conversation_id, follow_up.decision_id) == ("ben-refused", result_decision(session, case_id))
        assert f"case #{case_id}" in follow_up.customer_note and "alice" in follow_up.customer_note
        assert [e.action for e in session.get(models.ReviewCase, case_id).events] == \
            ["opened", "approved", "movement_failed"]
    [(conversation, told)] = notifier.told
    assert conversation == "ben-refused" and not NOT_FOR_CUSTOMERS.search(told), told
    assert told.startswith(f"About case #{case_id}: our team approved a refund of $30.84, but it couldn't be made")
    # Pressing the button again pays nothing and says what happened.
    with pytest.raises(CaseError, match=f"case #{case_id} is failed"):
        decide_case(case_id, "alice", "approve", note="Again.", now=DEMO_NOW, gateway=gateway, engine=live_engine)


def result_decision(session, case_id: int) -> int:
    return session.get(models.ReviewCase, case_id).decision_id


def test_the_console_shows_a_refused_refund_as_failed_not_approved(live_engine, gateway):
    agents.create_agent("alice", PASSWORD, engine=live_engine)
    case_id = case_of(live_engine, "ben@example.com", "late_cancellation", "ben-console")
    refunded_in_the_dashboard(live_engine, gateway, "ben@example.com")

    async def approve(client):
        page = await client.get(f"/cases/{case_id}")
        done = await client.post(f"/cases/{case_id}/decide", data={
            "csrf": CSRF.search(await page.text()).group(1), "verdict": "approve", "note": "Sorry."})
        return await done.text()
    page = " ".join(run(live_engine, signed_in(approve), gateway=gateway).split())
    assert "Approved." not in page
    assert "could not be made" in page and 'id="case-status">failed<' in page
