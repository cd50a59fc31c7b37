"""Review cases: opened by the service layer for R2, R5, R6 and a request for a person,
once per conversation and reason; and refund offers that expire before confirmation."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from bot.app.handoff import request_person
from bot.app.refunds import assess_refund, carry_out_refund
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW
from tests.support.consent import accepted_offer


def cases(engine):
    with unit_of_work(engine) as session:
        return session.execute(select(models.ReviewCase).order_by(models.ReviewCase.id)).scalars().all()


def test_r2_opens_a_refund_case_with_the_proposal(seeded_engine):
    decision = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, channel="rest",
                             conversation_id="conv-ben", note="I cancelled late, please refund",
                             engine=seeded_engine)
    assert decision.rule == "R2" and decision.case_created
    [case] = cases(seeded_engine)
    assert (case.kind, case.status, case.rule, case.proposed_amount, case.currency) == (
        "refund", "open", "R2", decision.refund, "usd")
    assert case.decision_id == decision.decision_id
    assert case.customer_note == "I cancelled late, please refund"
    assert case.due_at == DEMO_NOW + timedelta(hours=48)
    with unit_of_work(seeded_engine) as session:
        events = session.execute(select(models.CaseEvent)).scalars().all()
        assert [(e.actor, e.action) for e in events] == [("assistant", "opened")]


def test_asking_again_in_the_same_conversation_keeps_one_case(seeded_engine):
    first = assess_refund("finn@example.com", "technical_problem", now=DEMO_NOW,
                          conversation_id="conv-finn", engine=seeded_engine)
    again = assess_refund("finn@example.com", "technical_problem", now=DEMO_NOW + timedelta(minutes=3),
                          conversation_id="conv-finn", engine=seeded_engine)
    assert first.rule == "R5" and first.case_created and not again.case_created
    assert again.case_id == first.case_id
    [case] = cases(seeded_engine)
    assert (case.kind, case.proposed_amount) == ("credit", first.credit)


def test_concurrent_identical_requests_open_one_case(seeded_engine):
    def ask(_):
        return assess_refund("gia@example.com", "technical_problem", now=DEMO_NOW,
                             conversation_id="conv-gia", engine=seeded_engine).case_id
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(ask, range(6)))
    assert len(ids) == 1
    [case] = cases(seeded_engine)
    assert (case.kind, case.rule, case.proposed_amount) == ("ticket", "R6", 0)


def test_automatic_and_no_refund_outcomes_open_no_case(seeded_engine):
    for email, reason in [("ana@example.com", "late_cancellation"), ("dan@example.com", "unused_account"),
                          ("carla@example.com", "unspecified"), ("hal@example.com", "unspecified")]:
        result = assess_refund(email, reason, now=DEMO_NOW, conversation_id=f"c-{email}",
                               engine=seeded_engine)
        assert result.case is None, (email, result.rule)
    assert cases(seeded_engine) == []


def test_a_person_is_asked_for_once_per_conversation_even_anonymously(seeded_engine):
    anonymous = request_person(None, now=DEMO_NOW, channel="rest", conversation_id="visitor-1",
                               note="is anyone there", engine=seeded_engine)
    again = request_person(None, now=DEMO_NOW, channel="rest", conversation_id="visitor-1",
                           engine=seeded_engine)
    known = request_person("dan@example.com", now=DEMO_NOW, channel="rest", conversation_id="dan-1",
                           engine=seeded_engine)
    assert anonymous.case_created and not again.case_created and known.case_created
    rows = cases(seeded_engine)
    assert [(c.kind, c.customer_id is None) for c in rows] == [("handoff", True), ("handoff", False)]


def test_a_refund_offer_confirmed_too_late_moves_no_money(seeded_engine):
    decision = assess_refund("ana@example.com", "late_cancellation", now=DEMO_NOW,
                             conversation_id="conv-ana", engine=seeded_engine)
    assert decision.outcome == "auto_refund"

    class NoStripe:
        def __getattr__(self, name):
            raise AssertionError(f"Stripe must not be called ({name})")

    result = carry_out_refund(decision.decision_id, email="ana@example.com",
                              consent=accepted_offer(seeded_engine, "ana@example.com",
                                                     decision_id=decision.decision_id),
                              now=DEMO_NOW + timedelta(minutes=31), gateway=NoStripe(),
                              engine=seeded_engine)
    assert result.status == "expired" and "expired" in result.message
    with unit_of_work(seeded_engine) as session:
        assert session.execute(select(func.count()).select_from(models.LedgerEntry)).scalar_one() == 0


def test_where_is_my_refund_hears_of_the_customers_latest_refund_case_and_of_no_one_elses(seeded_engine):
    from bot.app.case_status import refund_case_state
    assert refund_case_state("ben@example.com", engine=seeded_engine) is None
    decision = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, channel="rest",
                             conversation_id="conv-ben", note="", engine=seeded_engine)
    state = refund_case_state("Ben@Example.com ", engine=seeded_engine)   # another conversation, the same customer
    assert (state["case_id"], state["status"], state["picked_up"]) == (decision.case_id, "open", False)
    assert refund_case_state("ana@example.com", engine=seeded_engine) is None
    request_person("ana@example.com", now=DEMO_NOW, channel="rest", conversation_id="conv-ana", note="",
                   engine=seeded_engine)
    assert refund_case_state("ana@example.com", engine=seeded_engine) is None   # a person asked for is no refund case
