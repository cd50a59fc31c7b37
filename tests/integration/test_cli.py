"""The `bot` command as operators and outside suites use it (docs/contracts.md section 3)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DEMO_SEED, ROOT

CONTRACT_KEYS = {"rule", "outcome", "charge_id", "base", "fee", "refund", "credit", "currency",
                 "requires_cancellation", "explanation"}


def bot(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.parametrize("email, reason, rule, outcome, refund, credit", [
    ("ana@example.com", "late_cancellation", "R1", "auto_refund", 4655, 0),
    ("ben@example.com", "late_cancellation", "R2", "review_refund", 3084, 0),
    ("carla@example.com", "unspecified", "R0", "nothing_to_refund", 0, 0),
    ("dan@example.com", "unused_account", "R3", "no_refund", 0, 0),
    ("eve@example.com", "forgot_subscription", "R4", "no_refund", 0, 0),
    ("finn@example.com", "technical_problem", "R5", "review_credit", 0, 2042),
    ("gia@example.com", "technical_problem", "R6", "ticket", 0, 0),
    ("hal@example.com", "late_cancellation", "R8", "no_refund", 0, 0),
    ("ivy@example.com", "unspecified", "R2", "review_refund", 4354, 0),
    ("jon@example.com", "unspecified", "R0", "nothing_to_refund", 0, 0),
])
def test_decide_on_the_demo_seed(email, reason, rule, outcome, refund, credit):
    result = bot("decide", "--email", email, "--reason", reason,
                 "--now", "2026-11-22T12:00:00Z", "--seed", str(DEMO_SEED))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert set(decision) == CONTRACT_KEYS
    assert (decision["rule"], decision["outcome"], decision["refund"], decision["credit"]) == \
        (rule, outcome, refund, credit)
    assert decision["explanation"] and "\n" not in decision["explanation"]


def test_a_relative_seed_is_anchored_at_now():
    # The demo seed declares relative_to, so it describes the same situation at any --now.
    outputs = {
        bot("decide", "--email", "ana@example.com", "--reason", "unspecified",
            "--now", now, "--seed", str(DEMO_SEED)).stdout
        for now in ("2026-11-22T12:00:00Z", "2027-06-01T08:30:00Z")
    }
    assert len(outputs) == 1 and json.loads(outputs.pop())["rule"] == "R1"


def test_an_absolute_seed_replays_the_past(tmp_path):
    seed = tmp_path / "abs.yml"
    seed.write_text(DEMO_SEED.read_text().replace("relative_to: 2026-11-22T12:00:00Z\n", ""))
    decide = lambda now: json.loads(bot("decide", "--email", "ana@example.com", "--reason",  # noqa: E731
                                        "unspecified", "--now", now, "--seed", str(seed)).stdout)
    # 24 h after the charge: still R1. One second later: outside the window, inside the period: R2.
    assert decide("2026-11-23T10:00:00Z")["rule"] == "R1"
    later = decide("2026-11-23T10:00:01Z")
    assert (later["rule"], later["charge_id"], later["outcome"]) == ("R2", "ch_ana_2", "review_refund")
    # Before the latest charge existed, the previous one is the latest and long out of its window.
    assert decide("2026-11-21T12:00:00Z")["charge_id"] == "ch_ana_1"


@pytest.mark.parametrize("args, message", [
    (["--email", "nobody@example.com", "--reason", "unspecified"], "no customer with email nobody@example.com"),
    (["--email", "ana@example.com", "--reason", "angry"], "unknown reason 'angry'"),
    (["--email", "ana@example.com", "--reason", "unspecified", "--now", "soon"], "--now: not an ISO 8601 time"),
    (["--email", "ana@example.com"], "the following arguments are required"),
])
def test_bad_input_is_one_line_without_traceback(args, message):
    if "--now" not in args and "--reason" in args:
        args = args + ["--now", "2026-11-22T12:00:00Z"]
    result = bot("decide", *args, "--seed", str(DEMO_SEED))
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_broken_seed_is_one_line(tmp_path):
    seed = tmp_path / "bad.yml"
    seed.write_text("customers:\n  - email: zed@example.com\n    created: 2026-13-01T00:00:00Z\n")
    result = bot("decide", "--email", "zed@example.com", "--reason", "unspecified",
                 "--now", "2026-11-22T12:00:00Z", "--seed", str(seed))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "bot: customer zed@example.com: field 'created' is not an ISO 8601 time: '2026-13-01T00:00:00Z'")


def test_seed_command_is_idempotent_without_stripe(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    first = bot("seed", str(DEMO_SEED), "--no-stripe", env=env)
    assert first.returncode == 0, first.stderr
    assert "10 new" in first.stdout
    second = bot("seed", str(DEMO_SEED), "--no-stripe", env=env)
    assert "0 new, 10 already loaded" in second.stdout
    decided = bot("decide", "--email", "finn@example.com", "--reason", "technical_problem",
                  "--now", "2026-11-22T12:00:00Z", env=env)
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["rule"] in {"R5", "R6"}  # relative seed: depends on load time


@pytest.mark.parametrize("email, expected", [
    ("ana@example.com", ["Pro monthly plan at $49.00 a month", "renews on December 22",
                         "last payment was $49.00 on November 22"]),
    ("carla@example.com", ["free trial ends on November 27"]),
    ("ben@example.com", ["cancelled from December 12", "keep access until then"]),
    ("jon@example.com", ["cancelled and will not renew", "($19.00 refunded)"]),
    ("hal@example.com", ["has ended and will not renew"]),
    ("ivy@example.com", ["Pro monthly plan at ¥5,000 a month"]),  # the plan's name, never its id
])
def test_account_summary_reads_the_mirror_in_the_customer_s_words(seeded_engine, email, expected):
    from bot.app.account import account_summary
    from tests.conftest import DEMO_NOW
    text = account_summary(email, now=DEMO_NOW, engine=seeded_engine)
    for fragment in expected:
        assert fragment in text, text
    assert "USD" not in text and "pro-monthly" not in text
