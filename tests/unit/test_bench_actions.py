"""The action-server benchmark's own parts (bench/actions.py): its customers are owed the
refund it expects to be offered, and it counts the refunds in flight correctly."""
from bench.actions import REFUND_OFFERED, Phase, overlap, summary
from bench.actions_stack import seed_text
from bot.core.domain import Reason
from bot.core.formatting import Reader, money
from bot.core.rules import decide
from bot.core.timeutil import parse_utc
from bot.ops.seed import parse_seed
from bot.settings import load_policy

RELATIVE_TO = parse_utc("2026-11-22T12:00:00Z")


def test_every_customer_it_seeds_is_owed_the_refund_it_waits_for():
    customers = parse_seed(seed_text(3), now=RELATIVE_TO)
    assert len({customer.account.email for customer in customers}) == 3
    for customer in customers:
        decision = decide(customer.account, Reason.LATE_CANCELLATION, RELATIVE_TO, load_policy())
        assert decision.rule == "R1" and money(decision.refund, decision.currency, Reader()) == REFUND_OFFERED


def test_refunds_in_flight_count_only_the_time_the_faq_turns_were_timed():
    spans = [(0.0, 3.0), (1.0, 4.0), (5.0, 9.0)]
    assert overlap(spans, 2.0, 6.0) == 1.0 + 2.0 + 1.0
    phase = Phase(faq=[0.01, 0.02], refunds=[3.0], in_flight_seconds=overlap(spans, 2.0, 6.0), seconds=4.0)
    assert summary([phase])["refunds_in_flight"] == 1.0
