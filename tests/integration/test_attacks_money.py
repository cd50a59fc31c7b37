"""Attacks on the money record (issue 14, item 3): a second case on a payment that was
already settled, the ledger key that collapsed two amounts, and what people are told.

The attack: two review cases on one charge; the first adjusted to 1.00 and paid; the
second approved for the rest showed `approved`, paid nothing (its ledger key already
existed) and told the customer a refund of the rest "has been made" with the first
refund's reference."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bot.app.case_decisions import CaseError, customer_message, decide_case
from bot.app.refunds import assess_refund
from bot.billing import ledger
from bot.core.statuses import CaseStatus, LedgerStatus
from bot.db import models
from bot.db.migrate import upgrade
from bot.db.session import make_engine, unit_of_work
from bot.ops.seed import write_customers
from tests.conftest import DEMO_NOW


class RecordingNotifier:
    def __init__(self):
        self.told = []

    def tell(self, *, channel, conversation_id, text, sender="support_agent"):
        self.told.append((conversation_id, text))


def ben_asks(engine, conversation: str) -> int:
    return assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, channel="rest",
                         conversation_id=conversation, engine=engine).case_id


def ben_charge(session) -> models.Charge:
    return session.execute(select(models.Charge).where(models.Charge.external_id == "ch_ben_1")).scalar_one()


def test_a_second_conversation_about_an_open_charge_joins_its_case(seeded_engine):
    first, second = ben_asks(seeded_engine, "ben-widget"), ben_asks(seeded_engine, "ben-email")
    assert second == first and ben_asks(seeded_engine, "ben-email") == first
    with unit_of_work(seeded_engine) as session:
        case = session.get(models.ReviewCase, first)
        assert case.charge_id == ben_charge(session).id
        assert [(e.action, e.detail.get("conversation_id")) for e in case.events] == \
            [("opened", None), ("asked_again", "ben-email")]  # once, however often it asks


def test_two_conversations_asking_at_the_same_moment_open_one_case(seeded_engine):
    with ThreadPoolExecutor(max_workers=4) as pool:
        cases = set(pool.map(lambda n: ben_asks(seeded_engine, f"ben-race-{n}"), range(4)))
    assert len(cases) == 1
    with unit_of_work(seeded_engine) as session:
        assert len(session.execute(select(models.ReviewCase)).scalars().all()) == 1


def second_case_on_the_same_charge(engine, case_id: int, conversation: str) -> int:
    """What the attack had: another conversation's decision and case on the same charge
    (before this fix, or left by the upgrade without the charge: no longer opened today)."""
    with unit_of_work(engine) as session:
        case = session.get(models.ReviewCase, case_id)
        columns = {c.name: getattr(case.decision, c.name) for c in models.DecisionRecord.__table__.columns
                   if c.name != "id"}
        decision = models.DecisionRecord(**{**columns, "conversation_id": conversation})
        session.add(decision)
        session.flush()
        twin = models.ReviewCase(
            dedupe_key=f"conversation:{conversation}:late_cancellation", kind=case.kind, status="open",
            customer_id=case.customer_id, decision_id=decision.id, rule=case.rule, reason=case.reason,
            channel="rest", conversation_id=conversation, proposed_amount=case.proposed_amount,
            currency=case.currency, due_at=case.due_at, created_at=case.created_at, updated_at=case.updated_at)
        session.add(twin)
        session.flush()
        return twin.id


def test_a_settled_payment_is_not_reported_paid_again_and_says_who_settled_it(live_engine, gateway):
    notifier = RecordingNotifier()
    first = ben_asks(live_engine, "ben-first")
    second = second_case_on_the_same_charge(live_engine, first, "ben-second")
    paid = decide_case(first, "alice", "adjust", amount=100, note="A goodwill refund.", now=DEMO_NOW,
                       gateway=gateway, engine=live_engine, notifier=notifier)
    assert (paid["status"], paid["amount"], paid["movement"]) == ("adjusted", 100, "succeeded")
    with pytest.raises(CaseError) as refused:
        decide_case(second, "bob", "approve", note="Approved.", now=DEMO_NOW, gateway=gateway,
                    engine=live_engine, notifier=notifier)
    assert str(refused.value).startswith(
        f"case #{first}'s refund of 1.00 USD for this payment was already paid by alice "
        f"(reference {paid['stripe_id']})"), refused.value
    with unit_of_work(live_engine) as session:
        charge = ben_charge(session)
        assert session.get(models.ReviewCase, second).status == CaseStatus.OPEN  # nothing recorded
        refunds = list(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data)
    assert [r.amount for r in refunds] == [100] and charge.refunded == 100
    assert [text for _c, text in notifier.told] == [
        f"About case #{first}: a refund of $1.00 has been made. A goodwill refund."]


def test_two_cases_on_one_charge_approved_at_the_same_moment_pay_once_and_one_is_refused(live_engine, gateway):
    first = ben_asks(live_engine, "ben-a")
    second = second_case_on_the_same_charge(live_engine, first, "ben-b")

    def approve(case_and_agent):
        case_id, agent = case_and_agent
        try:
            return decide_case(case_id, agent, "adjust", amount=1000 + case_id, note="ok", now=DEMO_NOW,
                               gateway=gateway, engine=live_engine)["status"]
        except CaseError as exc:
            return str(exc)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(approve, [(first, "alice"), (second, "bob")]))
    assert outcomes.count("adjusted") == 1, outcomes
    assert sum("nothing more is paid" in o for o in outcomes) == 1, outcomes
    with unit_of_work(live_engine) as session:
        refunds = list(gateway.client.refunds.list(params={"charge": ben_charge(session).stripe_id}).data)
        decided = [c.status for c in session.execute(select(models.ReviewCase)).scalars()]
    assert len(refunds) == 1 and sorted(decided) == ["adjusted", "open"]


def test_the_ledger_never_hands_back_another_amount_under_the_same_key(seeded_engine):
    with unit_of_work(seeded_engine) as session:
        charge = ben_charge(session)
        first = ledger.record_refund(session, charge=charge, amount=100, rule="R2", decision_id=None)
        assert ledger.record_refund(session, charge=charge, amount=100, rule="R2", decision_id=None) is first
        with pytest.raises(ledger.MovementRefused, match="already exists as a refund of 100"):
            ledger.record_refund(session, charge=charge, amount=3084, rule="R2", decision_id=None)
        customer = charge.customer
        key = "credit-x"
        ledger.record_credit(session, customer=customer, amount=500, currency="usd", decision_id=None, key=key,
                             description="d")
        with pytest.raises(ledger.MovementRefused):
            ledger.record_credit(session, customer=customer, amount=700, currency="usd", decision_id=None,
                                 key=key, description="d")


def test_the_customer_hears_the_amount_of_the_movement_itself_and_no_processor_id(seeded_engine):
    case = models.ReviewCase(id=7, kind="refund", status="approved", decided_amount=43849, currency="usd",
                             decision_note="Sorry.")
    entry = models.LedgerEntry(amount=100, currency="usd", status=LedgerStatus.SUCCEEDED, stripe_id="re_1")
    assert customer_message(case, entry) == \
        "About case #7: a refund of $1.00 has been made. Sorry."


def test_an_upgrade_keeps_working_with_two_cases_already_open_on_one_charge(tmp_path, demo_customers):
    """The index is built on a database the attack already ran on: the older case keeps the
    charge, the newer one is still refused at decision time by its ledger key."""
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url, "0008")
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        write_customers(session, demo_customers)
        charge = ben_charge(session)
        ids = (charge.customer_id, charge.id)
    with engine.begin() as conn:
        for conversation in ("old-1", "old-2"):
            decision = conn.exec_driver_sql(
                "INSERT INTO decisions (customer_id, charge_id, rule, reason, outcome, now, base, fee, refund, credit, "
                "currency, requires_cancellation, explanation, facts, policy, executed, recorded_at) "
                "VALUES (?, ?, 'R2', "
                "'late_cancellation', 'review_refund', '2026-11-22 12:00:00', 1, 0, 1, 0, 'usd', 0, '', '{}', '{}', "
                "'{}', '2026-11-22 12:00:00')", ids).lastrowid
            conn.exec_driver_sql(
                "INSERT INTO review_cases (dedupe_key, kind, status, decision_id, reason, proposed_amount, "
                "customer_note, due_at, created_at, updated_at) VALUES (?, 'refund', 'open', ?, 'x', 1, '', "
                "'2026-11-23 12:00:00', '2026-11-22 12:00:00', '2026-11-22 12:00:00')",
                (f"conversation:{conversation}:x", decision))
    upgrade(url)
    with unit_of_work(engine) as session:
        charges = [c.charge_id
                   for c in session.execute(select(models.ReviewCase).order_by(models.ReviewCase.id)).scalars()]
        assert charges == [ids[1], None]
    engine.dispose()
