"""One-time codes: delivered only to an account's address, hashed, expiring, attempt-limited."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import verification
from bot.core.policy import Policy
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import DEMO_NOW


@pytest.fixture
def outbox(tmp_path, monkeypatch):
    folder = tmp_path / "outbox"
    monkeypatch.setenv("OUTBOX_DIR", str(folder))
    monkeypatch.delenv("SMTP_HOST", raising=False)
    return folder


def code_in(outbox) -> str:
    [mail] = sorted(outbox.glob("*.eml"))
    return re.search(r"Your code is (\d{6})", mail.read_text()).group(1)


def test_the_right_code_identifies_the_conversation(seeded_engine, outbox):
    verification.send_code("c1", " Ana@Example.com ", now=DEMO_NOW, engine=seeded_engine)
    code = code_in(outbox)
    with unit_of_work(seeded_engine) as session:
        stored = session.execute(select(models.VerificationCode)).scalar_one()
    assert code not in stored.code_hmac  # only an HMAC is kept
    result = verification.check_code("c1", code, now=DEMO_NOW + timedelta(minutes=1), engine=seeded_engine)
    assert (result.status, result.email) == ("verified", "ana@example.com")
    assert verification.verified_email("c1", now=DEMO_NOW + timedelta(hours=1), engine=seeded_engine) == "ana@example.com"
    assert verification.verified_email("other", now=DEMO_NOW, engine=seeded_engine) is None
    assert verification.verified_email("c1", now=DEMO_NOW + timedelta(hours=13), engine=seeded_engine) is None


def test_wrong_codes_are_limited(seeded_engine, outbox):
    verification.send_code("c2", "ana@example.com", now=DEMO_NOW, engine=seeded_engine)
    right = code_in(outbox)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    results = [verification.check_code("c2", wrong, now=DEMO_NOW, engine=seeded_engine) for _ in range(5)]
    assert [r.status for r in results] == ["wrong"] * 4 + ["locked"]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    # Even the right code is refused once locked: brute force gets five guesses in a million.
    assert verification.check_code("c2", right, now=DEMO_NOW, engine=seeded_engine).status == "locked"


def test_codes_expire_and_a_new_code_replaces_the_old(seeded_engine, outbox):
    verification.send_code("c3", "ana@example.com", now=DEMO_NOW, engine=seeded_engine)
    first = code_in(outbox)
    later = DEMO_NOW + timedelta(minutes=11)
    assert verification.check_code("c3", first, now=later, engine=seeded_engine).status == "expired"
    for f in outbox.glob("*.eml"):
        f.unlink()
    verification.send_code("c3", "ana@example.com", now=later, engine=seeded_engine)
    second = code_in(outbox)
    if second != first:
        assert verification.check_code("c3", first, now=later, engine=seeded_engine).status == "wrong"
    assert verification.check_code("c3", second, now=later, engine=seeded_engine).status == "verified"


def test_an_unknown_address_gets_no_mail_and_no_hint(seeded_engine, outbox):
    verification.send_code("c4", "stranger@example.com", now=DEMO_NOW, engine=seeded_engine)
    assert not outbox.exists() or list(outbox.glob("*.eml")) == []
    result = verification.check_code("c4", "123456", now=DEMO_NOW, engine=seeded_engine)
    assert result.status == "wrong" and result.email is None


def test_limits_come_from_the_policy(seeded_engine, outbox):
    strict = Policy(code_max_attempts=1)
    verification.send_code("c5", "ana@example.com", now=DEMO_NOW, engine=seeded_engine, policy=strict)
    right = code_in(outbox)
    assert verification.check_code("c5", f"{(int(right) + 1) % 10**6:06d}", now=DEMO_NOW,
                                   engine=seeded_engine, policy=strict).status == "locked"


def test_an_address_gets_a_few_codes_an_hour_however_many_conversations_ask(seeded_engine, outbox):
    """Five guesses a code times unlimited codes would be unlimited guesses (and a mail flood)."""
    for n in range(8):
        verification.send_code(f"attacker-{n}", "ana@example.com", now=DEMO_NOW + timedelta(minutes=n),
                               engine=seeded_engine)
    assert len(list(outbox.glob("*.eml"))) == 5
    refused = verification.check_code("attacker-7", "000000", now=DEMO_NOW + timedelta(minutes=8),
                                      engine=seeded_engine)
    assert refused.status != "verified"
    verification.send_code("customer", "ana@example.com", now=DEMO_NOW + timedelta(minutes=61), engine=seeded_engine)
    assert len(list(outbox.glob("*.eml"))) == 6  # an hour later the customer can be helped again
