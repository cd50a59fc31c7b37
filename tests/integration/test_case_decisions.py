"""Agents' decisions on cases: limits, one decision per case, money once, the customer told."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.agents import create_agent
from bot.app.case_decisions import CaseError, allowed_amount, claim, decide_case, queue
from bot.app.handoff import request_person
from bot.app.refunds import assess_refund
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW


class RecordingNotifier:
    def __init__(self):
        self.told, self.senders = [], []

    def tell(self, *, channel, conversation_id, text, sender="support_agent"):
        self.told.append((channel, conversation_id, text))
        self.senders.append(sender)


def ben_case(engine):
    return assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, channel="rest",
                         conversation_id="conv-ben", engine=engine)


def test_the_queue_is_oldest_first_and_filters(seeded_engine):
    ben_case(seeded_engine)
    request_person(None, now=DEMO_NOW - timedelta(hours=1), channel="rest", conversation_id="v",
                   engine=seeded_engine)
    with unit_of_work(seeded_engine) as session:
        assert [c.kind for c in queue(session)] == ["handoff", "refund"]
        assert [c.kind for c in queue(session, rule="R2")] == ["refund"]


def test_approving_pays_the_proposal_once_and_tells_the_customer(live_engine, gateway):
    case_id = ben_case(live_engine).case_id
    notifier = RecordingNotifier()
    claim(case_id, "alice", now=DEMO_NOW, engine=live_engine)
    result = decide_case(case_id, "alice", "approve", note="Thanks for letting us know.", now=DEMO_NOW,
                    gateway=gateway, engine=live_engine, notifier=notifier)
    assert (result["status"], result["amount"], result["movement"]) == ("approved", 3084, "succeeded")
    again = decide_case(case_id, "alice", "approve", note="Thanks for letting us know.", now=DEMO_NOW,
                   gateway=gateway, engine=live_engine, notifier=notifier)
    assert again["already"] and again["stripe_id"] == result["stripe_id"]
    [(channel, conversation, text)] = notifier.told
    assert (channel, conversation) == ("rest", "conv-ben")
    assert "$30.84 has been made" in text and result["stripe_id"] not in text  # the amount, not the processor id
    with unit_of_work(live_engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == "ch_ben_1")).scalar_one()
        refunds = list(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data)
        events = [e.action for e in session.get(models.ReviewCase, case_id).events]
    assert [r.amount for r in refunds] == [3084] and charge.refunded == 3084
    assert events == ["opened", "claimed", "approved"]


def test_two_agents_approving_at_once_make_one_refund(live_engine, gateway):
    case_id = ben_case(live_engine).case_id

    def approve(agent):
        try:
            return decide_case(case_id, agent, "approve", note="ok", now=DEMO_NOW, gateway=gateway,
                          engine=live_engine)["status"]
        except CaseError as exc:
            return str(exc)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(approve, ["alice", "bob"]))
    assert outcomes.count("approved") == 1 and sum("is approved by" in o for o in outcomes) == 1
    with unit_of_work(live_engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == "ch_ben_1")).scalar_one()
    assert len(list(gateway.client.refunds.list(params={"charge": charge.stripe_id}).data)) == 1


def test_an_adjustment_is_capped_by_what_the_rules_allow(live_engine, gateway):
    case_id = ben_case(live_engine).case_id
    with unit_of_work(live_engine) as session:
        ceiling = allowed_amount(session.get(models.ReviewCase, case_id))
    assert ceiling == 4900  # the whole remaining charge
    with pytest.raises(CaseError, match="more than the rules allow"):
        decide_case(case_id, "alice", "adjust", amount=ceiling + 1, note="x", now=DEMO_NOW,
               gateway=gateway, engine=live_engine)
    with pytest.raises(CaseError, match="give the customer a reason"):
        decide_case(case_id, "alice", "adjust", amount=1000, note=" ", now=DEMO_NOW, gateway=gateway,
               engine=live_engine)
    result = decide_case(case_id, "alice", "adjust", amount=4000, note="Goodwill.", now=DEMO_NOW,
                    gateway=gateway, engine=live_engine)
    assert (result["status"], result["amount"], result["movement"]) == ("adjusted", 4000, "succeeded")


def test_the_customer_hears_a_decision_from_the_agent_who_made_it(seeded_engine):
    """Signed with the console agent's name, as a live chat is; a Slack click, whose
    username means nothing to the customer, is the support team's."""
    create_agent("alice", "a long enough password", "Alice Smith", engine=seeded_engine)
    notifier = RecordingNotifier()
    for conversation, agent in (("conv-gia-1", "alice"), ("conv-gia-2", "slack:ana.k")):
        case_id = assess_refund("gia@example.com", "technical_problem", now=DEMO_NOW,
                                conversation_id=conversation, engine=seeded_engine).case_id
        decide_case(case_id, agent, "close", note="Fixed.", now=DEMO_NOW, engine=seeded_engine, notifier=notifier)
    assert notifier.senders == ["agent:alice", "support_agent"]


def test_a_claimed_case_is_decided_by_its_agent_and_a_denial_moves_nothing(live_engine, gateway):
    case_id = ben_case(live_engine).case_id
    claim(case_id, "alice", now=DEMO_NOW, engine=live_engine)
    with pytest.raises(CaseError, match="claimed by alice"):
        claim(case_id, "bob", now=DEMO_NOW, engine=live_engine)
    with pytest.raises(CaseError, match="claimed by alice"):
        decide_case(case_id, "bob", "deny", note="no", now=DEMO_NOW, gateway=gateway, engine=live_engine)
    notifier = RecordingNotifier()
    result = decide_case(case_id, "alice", "deny", note="The period was fully used.", now=DEMO_NOW,
                    gateway=gateway, engine=live_engine, notifier=notifier)
    assert (result["status"], result["movement"]) == ("denied", None)
    assert "can't grant it. The period was fully used." in notifier.told[0][2]
    with unit_of_work(live_engine) as session:
        assert session.execute(select(models.LedgerEntry)).scalars().all() == []


def test_a_credit_is_paid_once_per_period_whichever_case_asks(live_engine, gateway):
    case_id = assess_refund("finn@example.com", "technical_problem", now=DEMO_NOW,
                            conversation_id="conv-finn", engine=live_engine).case_id
    with pytest.raises(CaseError, match="more than the rules allow"):
        decide_case(case_id, "alice", "adjust", amount=4901, note="x", now=DEMO_NOW, gateway=gateway,
                    engine=live_engine)
    result = decide_case(case_id, "alice", "approve", note="Sorry about the outage.", now=DEMO_NOW,
                    gateway=gateway, engine=live_engine)
    assert (result["status"], result["movement"], result["amount"]) == ("approved", "succeeded", 2042)
    assert result["stripe_id"].startswith("ii_") and "has been made" in result["message"]
    # A second case about the same period cannot move money under the first one's key.
    with pytest.raises(CaseError, match=f"case #{case_id}'s credit of 20.42 USD .* already paid by alice"):
        decide_case(assess_refund("finn@example.com", "technical_problem", now=DEMO_NOW,
                             conversation_id="conv-finn-2", engine=live_engine).case_id,
               "alice", "adjust", amount=100, note="x", now=DEMO_NOW, gateway=gateway, engine=live_engine)


def test_tickets_and_handoffs_are_closed_not_paid(seeded_engine):
    case_id = request_person(None, now=DEMO_NOW, channel="rest", conversation_id="v",
                             engine=seeded_engine).case_id
    with pytest.raises(CaseError, match="no money to approve"):
        decide_case(case_id, "alice", "approve", note="x", now=DEMO_NOW, engine=seeded_engine)
    result = decide_case(case_id, "alice", "close", note="Answered by phone.", now=DEMO_NOW,
                    engine=seeded_engine)
    assert result["status"] == "closed" and result["message"].endswith("Answered by phone.")
