"""Rules R0-R8, one row per case; expected amounts worked out by hand from refund-rules.md."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from bot.core.domain import Account, Charge, Incident, PriorRefund, Reason, Subscription
from bot.core.money import format_amount, round_half_up
from bot.core.policy import Policy, PolicyError
from bot.core.rules import decide

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # a 30-day (March 1 -> 31) ... see period below
START = datetime(2026, 4, 1, tzinfo=UTC)       # 30-day period: April
END = datetime(2026, 5, 1, tzinfo=UTC)
H, D, S = timedelta(hours=1), timedelta(days=1), timedelta(seconds=1)


def sub(status="active", price=4900, currency="usd", interval="month", start=START, end=END,
        cape=False, trial_end=None):
    return Subscription(plan="pro", price=price, currency=currency, interval=interval, status=status,
                        current_period_start=start, current_period_end=end, trial_end=trial_end,
                        cancel_at_period_end=cape)


def charge(amount=4900, created=START, refunded=0, currency="usd", id="ch_1"):
    return Charge(id=id, amount=amount, currency=currency, created=created, refunded=refunded)


def account(subscription=None, charges=(), refunds=(), incidents=()):
    return Account(email="a@example.com", name="A", subscription=subscription if subscription is not None else sub(),
                   charges=tuple(charges), refunds=tuple(refunds), incidents=tuple(incidents))


R1_USED = PriorRefund(charge_id="ch_0", amount=4655, rule="R1", created=START - 30 * D)
Y_START, Y_END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)  # 365 days

# id, account, reason, now, expected (rule, outcome, charge_id, base, fee, refund, credit, currency,
# requires_cancellation)
CASES = [
    ("R0 trial, never charged",
     account(sub("trialing", trial_end=START + 12 * D)), "unspecified", START + D,
     ("R0", "nothing_to_refund", None, 0, 0, 0, 0, "usd", False)),
    ("R0 latest charge fully refunded",
     account(charges=[charge(refunded=4900)]), "late_cancellation", START + H,
     ("R0", "nothing_to_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R0 latest charge already refunded under a rule (fee kept)",
     account(charges=[charge(refunded=4655)], refunds=[PriorRefund("ch_1", 4655, "R1", START + H)]),
     "late_cancellation", START + 2 * H, ("R0", "nothing_to_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R0 charge created after now does not count yet",
     account(sub("trialing", trial_end=START), charges=[charge(created=START + D)]), "unspecified", START,
     ("R0", "nothing_to_refund", None, 0, 0, 0, 0, "usd", False)),
    ("R1 exactly 24 h after the charge",
     account(charges=[charge()]), "late_cancellation", START + 24 * H,
     ("R1", "auto_refund", "ch_1", 4900, 245, 4655, 0, "usd", True)),
    ("R1 window closed one second later -> R2",
     account(charges=[charge()]), "late_cancellation", START + 24 * H + S,
     # remaining = (30 d - 24 h - 1 s) / 30 d; base = round_half_up(4900 * 2505599/2592000) = 4736.67 -> 4737
     ("R2", "review_refund", "ch_1", 4737, 237, 4500, 0, "usd", True)),
    ("R1 whatever the stated reason: forgot",
     account(charges=[charge()]), "forgot_subscription", START + H,
     ("R1", "auto_refund", "ch_1", 4900, 245, 4655, 0, "usd", True)),
    ("R1 whatever the stated reason: technical",
     account(charges=[charge()]), "technical_problem", START + H,
     ("R1", "auto_refund", "ch_1", 4900, 245, 4655, 0, "usd", True)),
    ("R1 already cancelled: no consent needed",
     account(sub("canceled"), charges=[charge()]), "unused_account", START + H,
     ("R1", "auto_refund", "ch_1", 4900, 245, 4655, 0, "usd", False)),
    ("R1 set to cancel at period end: no consent needed",
     account(sub(cape=True), charges=[charge()]), "unspecified", START + H,
     ("R1", "auto_refund", "ch_1", 4900, 245, 4655, 0, "usd", False)),
    ("R1 fee rounds half up: 10 -> 0.5 -> 1",
     account(charges=[charge(amount=10)]), "unspecified", START + H,
     ("R1", "auto_refund", "ch_1", 10, 1, 9, 0, "usd", True)),
    ("R1 fee rounds half up: 30 -> 1.5 -> 2",
     account(charges=[charge(amount=30)]), "unspecified", START + H,
     ("R1", "auto_refund", "ch_1", 30, 2, 28, 0, "usd", True)),
    ("R1 fee rounds down below a half: 9 -> 0.45 -> 0",
     account(charges=[charge(amount=9)]), "unspecified", START + H,
     ("R1", "auto_refund", "ch_1", 9, 0, 9, 0, "usd", True)),
    ("R1 in yen, a zero-decimal currency",
     account(sub(currency="jpy", price=1000), charges=[charge(amount=1000, currency="jpy")]),
     "late_cancellation", START + H, ("R1", "auto_refund", "ch_1", 1000, 50, 950, 0, "jpy", True)),
    ("R1 courtesy already used -> R2 review",
     account(charges=[charge()], refunds=[R1_USED]), "late_cancellation", START + 20 * D,
     # 10 of 30 days left: 4900/3 = 1633.33 -> 1633; fee 81.65 -> 82
     ("R2", "review_refund", "ch_1", 1633, 82, 1551, 0, "usd", True)),
    ("R1 not for a partly refunded charge -> R2 on what remains",
     account(charges=[charge(refunded=4000)]), "unspecified", START + H,
     # prorated 4900 * (30d-1h)/30d = 4893.19 -> capped at the 900 that remains; fee 45
     ("R2", "review_refund", "ch_1", 900, 45, 855, 0, "usd", True)),
    ("R2 ten days left of thirty",
     account(sub("canceled"), charges=[charge()]), "late_cancellation", START + 20 * D,
     ("R2", "review_refund", "ch_1", 1633, 82, 1551, 0, "usd", False)),
    ("R2 yearly plan, 100 of 365 days left",
     account(sub(price=49000, interval="year", start=Y_START, end=Y_END),
             charges=[charge(amount=49000, created=Y_START)]),
     "unspecified", Y_END - 100 * D,
     # 49000 * 100/365 = 13424.66 -> 13425; fee 671.25 -> 671
     ("R2", "review_refund", "ch_1", 13425, 671, 12754, 0, "usd", True)),
    ("R2 -> R8 at the period end exactly",
     account(charges=[charge()]), "late_cancellation", END,
     ("R8", "no_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R2 -> R8 when the proposal rounds to zero",
     account(charges=[charge(amount=1)]), "late_cancellation", END - 2 * H,
     ("R8", "no_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R8 after the period",
     account(sub("canceled"), charges=[charge()]), "unspecified", END + D,
     ("R8", "no_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R3 unused, outside the window",
     account(charges=[charge()]), "unused_account", START + 2 * D,
     ("R3", "no_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R4 forgot, outside the window",
     account(charges=[charge()]), "forgot_subscription", START + 2 * D,
     ("R4", "no_refund", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R5 a 72 h incident inside the period",
     account(charges=[charge()], incidents=[Incident("group-sync", START + 5 * D, START + 8 * D)]),
     "technical_problem", START + 10 * D,
     # 4900 * 3/30 = 490
     ("R5", "review_credit", None, 0, 0, 0, 490, "usd", False)),
    ("R5 one second short of 72 h -> R6",
     account(charges=[charge()], incidents=[Incident("group-sync", START + 5 * D, START + 8 * D - S)]),
     "technical_problem", START + 10 * D, ("R6", "ticket", "ch_1", 0, 0, 0, 0, "usd", False)),
    ("R5 incident began before the period: only the part inside counts",
     account(charges=[charge()], incidents=[Incident("group-sync", START - 10 * D, START + 6 * D)]),
     "technical_problem", START + 10 * D,
     # 6 of 30 days: 980
     ("R5", "review_credit", None, 0, 0, 0, 980, "usd", False)),
    ("R5 incident still open counts up to now",
     account(charges=[charge()], incidents=[Incident("group-sync", START + 2 * D, None)]),
     "technical_problem", START + 9 * D + 12 * H,
     # 7.5 of 30 days: 4900 * 7.5 / 30 = 1225
     ("R5", "review_credit", None, 0, 0, 0, 1225, "usd", False)),
    ("R5 overlapping incidents are not counted twice",
     account(charges=[charge()], incidents=[Incident("a", START + D, START + 5 * D),
                                           Incident("b", START + 3 * D, START + 7 * D)]),
     "technical_problem", START + 10 * D,
     # union 6 days: 980
     ("R5", "review_credit", None, 0, 0, 0, 980, "usd", False)),
    ("R6 no incident",
     account(charges=[charge()]), "technical_problem", START + 3 * D,
     ("R6", "ticket", "ch_1", 0, 0, 0, 0, "usd", False)),
]


@pytest.mark.parametrize("acct, reason, now, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_table(acct, reason, now, expected):
    d = decide(acct, Reason(reason), now, Policy())
    got = (d.rule, d.outcome.value, d.charge_id, d.base, d.fee, d.refund, d.credit, d.currency,
           d.requires_cancellation)
    assert got == expected
    assert d.explanation and d.explanation.endswith(".")


def test_courtesy_already_used_is_evidence_for_the_agent():
    d = decide(account(charges=[charge()], refunds=[R1_USED]), Reason.LATE_CANCELLATION, START + H, Policy())
    assert d.rule == "R2" and d.facts["courtesy_already_used"] is True
    assert "already used" in d.explanation


def test_trial_explanation_names_the_end():
    d = decide(account(sub("trialing", trial_end=START + 12 * D)), Reason.UNSPECIFIED, START + D, Policy())
    assert "2026-04-13" in d.explanation and "never charged" in d.explanation


def test_ticket_mentions_an_ongoing_shorter_incident():
    acct = account(charges=[charge()], incidents=[Incident("post-scheduler", START + 3 * D, None)])
    d = decide(acct, Reason.TECHNICAL_PROBLEM, START + 3 * D + 5 * H, Policy())
    assert d.rule == "R6" and "post-scheduler" in d.explanation


def test_the_policy_file_changes_the_numbers_not_the_code():
    policy = Policy(refund_fee_percent=Fraction(10), late_cancel_window_hours=48)
    d = decide(account(charges=[charge()]), Reason.UNSPECIFIED, START + 47 * H, policy)
    assert (d.rule, d.fee, d.refund) == ("R1", 490, 4410)


def test_contract_json_has_exactly_the_contract_keys():
    d = decide(account(charges=[charge()]), Reason.UNSPECIFIED, START + H, Policy())
    assert set(d.contract_json()) == {"rule", "outcome", "charge_id", "base", "fee", "refund", "credit",
                                      "currency", "requires_cancellation", "explanation"}


@pytest.mark.parametrize("value, expected", [(Fraction(1, 2), 1), (Fraction(3, 2), 2), (Fraction(5, 2), 3),
                                             (Fraction(49, 100), 0), (Fraction(-1, 2), -1), (7, 7)])
def test_round_half_up(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize("amount, currency, text", [(4655, "usd", "46.55 USD"), (1200, "jpy", "1200 JPY"),
                                                    (5, "usd", "0.05 USD"), (1234, "kwd", "1.234 KWD"),
                                                    (-500, "eur", "-5.00 EUR")])
def test_format_amount(amount, currency, text):
    assert format_amount(amount, currency) == text


@pytest.mark.parametrize("mapping, message", [({"refund_fee_pct": 5}, "unknown policy keys"),
                                              ({"refund_fee_percent": 100}, "must be in"),
                                              ({"trial_days": "twelve"}, "bad policy value")])
def test_policy_rejects_bad_files(mapping, message):
    with pytest.raises(PolicyError, match=message):
        Policy.from_mapping(mapping)


def test_shipped_policy_file_has_the_documented_defaults():
    from bot.settings import load_policy
    assert load_policy() == Policy()
