"""One-time codes: delivered only to an account's address, hashed, expiring, attempt-limited, and
proving the address only for the client that asked, on its channel, in its conversation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import verification
from bot.app.verification import Client
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


def client(conversation: str, key: str = "widget-key-0123456789ab", channel: str = "rest") -> Client:
    return Client(conversation, channel, key)


def clear(outbox) -> None:
    for mail in outbox.glob("*.eml"):
        mail.unlink()


def test_the_right_code_identifies_the_client_that_asked_and_only_it(seeded_engine, outbox):
    assert not verification.send_code(client("c1"), " Ana@Example.com ", now=DEMO_NOW, engine=seeded_engine).limited
    code = code_in(outbox)
    with unit_of_work(seeded_engine) as session:
        stored = session.execute(select(models.VerificationCode)).scalar_one()
    assert code not in stored.code_hmac and "widget-key" not in (stored.client_key_hash or "")  # hashes only
    result = verification.check_code(client("c1"), code, now=DEMO_NOW + timedelta(minutes=1), engine=seeded_engine)
    assert (result.status, result.email) == ("verified", "ana@example.com")
    later = DEMO_NOW + timedelta(hours=1)
    assert verification.verified_email(client("c1"), now=later, engine=seeded_engine) == "ana@example.com"
    # Knowing the conversation id is not enough: another key, another channel, another conversation.
    assert verification.verified_email(client("c1", key="someone-elses-key-0000"), now=later,
                                       engine=seeded_engine) is None
    assert verification.verified_email(client("c1", channel="socketio"), now=later, engine=seeded_engine) is None
    assert verification.verified_email(client("other"), now=DEMO_NOW, engine=seeded_engine) is None
    assert verification.verified_email(client("c1"), now=DEMO_NOW + timedelta(hours=13), engine=seeded_engine) is None


def test_a_code_can_only_be_tried_by_the_client_it_was_sent_for(seeded_engine, outbox):
    verification.send_code(client("c6"), "ana@example.com", now=DEMO_NOW, engine=seeded_engine)
    stranger = verification.check_code(client("c6", key="a-stranger-key-00000000"), code_in(outbox), now=DEMO_NOW,
                                       engine=seeded_engine)
    assert stranger.status == "none"


def test_wrong_codes_are_limited(seeded_engine, outbox):
    verification.send_code(client("c2"), "ana@example.com", now=DEMO_NOW, engine=seeded_engine)
    right = code_in(outbox)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    results = [verification.check_code(client("c2"), wrong, now=DEMO_NOW, engine=seeded_engine) for _ in range(5)]
    assert [r.status for r in results] == ["wrong"] * 4 + ["locked"]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    # Even the right code is refused once locked: brute force gets five guesses in a million.
    assert verification.check_code(client("c2"), right, now=DEMO_NOW, engine=seeded_engine).status == "locked"


def test_codes_expire_and_a_new_code_replaces_the_old(seeded_engine, outbox):
    verification.send_code(client("c3"), "ana@example.com", now=DEMO_NOW, engine=seeded_engine)
    first = code_in(outbox)
    later = DEMO_NOW + timedelta(minutes=11)
    assert verification.check_code(client("c3"), first, now=later, engine=seeded_engine).status == "expired"
    clear(outbox)
    verification.send_code(client("c3"), "ana@example.com", now=later, engine=seeded_engine)
    second = code_in(outbox)
    if second != first:
        assert verification.check_code(client("c3"), first, now=later, engine=seeded_engine).status == "wrong"
    assert verification.check_code(client("c3"), second, now=later, engine=seeded_engine).status == "verified"


def test_an_unknown_address_gets_no_mail_and_no_hint(seeded_engine, outbox):
    assert not verification.send_code(client("c4"), "stranger@example.com", now=DEMO_NOW, engine=seeded_engine).limited
    assert not outbox.exists() or list(outbox.glob("*.eml")) == []
    result = verification.check_code(client("c4"), "123456", now=DEMO_NOW, engine=seeded_engine)
    assert result.status == "wrong" and result.email == "stranger@example.com"


def test_limits_come_from_the_policy(seeded_engine, outbox):
    strict = Policy(code_max_attempts=1)
    verification.send_code(client("c5"), "ana@example.com", now=DEMO_NOW, engine=seeded_engine, policy=strict)
    right = code_in(outbox)
    assert verification.check_code(client("c5"), f"{(int(right) + 1) % 10**6:06d}", now=DEMO_NOW,
                                   engine=seeded_engine, policy=strict).status == "locked"


def test_a_conversation_gets_a_few_codes_an_hour_and_is_told_so(seeded_engine, outbox):
    sent = [verification.send_code(client("c7"), "ana@example.com", now=DEMO_NOW + timedelta(minutes=n),
                                   engine=seeded_engine) for n in range(4)]
    assert [s.limited for s in sent] == [False, False, False, True] and len(list(outbox.glob("*.eml"))) == 3
    assert sent[-1].retry_at == DEMO_NOW + timedelta(hours=1)  # when the first of the three is an hour old


def test_a_stranger_asking_for_codes_cannot_lock_the_owner_out(seeded_engine, outbox):
    """Each code allows a few guesses, so codes are limited; a stranger's requests use up the
    stranger's own allowance, and only a flood from many clients meets the address's ceiling."""
    stranger = [verification.send_code(client(f"attacker-{n}", key="the-attackers-key-00000"), "ana@example.com",
                                       now=DEMO_NOW + timedelta(minutes=n), engine=seeded_engine) for n in range(8)]
    assert [s.limited for s in stranger].count(False) == 5 and stranger[-1].limited
    assert not verification.send_code(client("owner", key="the-owners-own-key-0000"), "ana@example.com",
                                      now=DEMO_NOW + timedelta(minutes=9), engine=seeded_engine).limited
    ceiling = Policy().codes_per_address_from_anyone_per_hour
    flood = [verification.send_code(client(f"bot-{n}", key=f"flood-key-{n:012d}"), "ana@example.com",
                                    now=DEMO_NOW + timedelta(minutes=10), engine=seeded_engine) for n in range(ceiling)]
    assert [s.limited for s in flood].count(False) == ceiling - 6 and flood[-1].limited  # the mail ceiling holds
