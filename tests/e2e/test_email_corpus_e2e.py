"""The corpus of customer mails (tests/support/mail) through the real email channel and
assistant: signatures, footers and quoted threads never open a case, a mail asking for
one opens one, and no reply asks the customer to say it another way."""
from __future__ import annotations

import uuid
from email import message_from_bytes
from email import policy as email_policy
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from bot.clock import now_utc
from bot.db import models
from bot.db.session import unit_of_work
from bot.email.channel import parse_raw
from bot.email.imap import deliver
from tests.e2e.test_console import charge_of
from tests.support.e2e_stack import EMAIL_SIGNING_KEY, mirror
from tests.support.mail_corpus import corpus
from tests.support.smtp_server import plain_text

pytestmark = pytest.mark.e2e
CUSTOMER = "vera@example.com"  # tests/support/seeds/e2e.yml: a refund or a problem would open a case for her
REPHRASE = ("didn't quite get that", "say it another way")


def as_sent_by(raw: bytes, sender: str, run: str, date: str | None = None) -> bytes:
    """The corpus mail from `sender`, verified by the receiving server, in a thread of its own."""
    message = message_from_bytes(raw, policy=email_policy.default)
    for header, value in (("From", f"Vera Holm <{sender}>"), ("Message-ID", f"<{run}@mail.example>"),
                          ("References", f"<{run}-first@mail.example>"), ("Date", date)):
        del message[header]
        if value:
            message[header] = value
    message["Authentication-Results"] = "mx.grouptrack.example; spf=pass smtp.mailfrom=example.com"
    return message.as_bytes()


def cases_of(live, conversation_id: str) -> list[models.ReviewCase]:
    engine = mirror(live)
    with unit_of_work(engine) as session:
        found = session.execute(select(models.ReviewCase).where(
            models.ReviewCase.conversation_id == conversation_id)).scalars().all()
        session.expunge_all()
    engine.dispose()
    return found


def send(live, raw: bytes) -> str:
    channel = f"{live.urls['rasa']}/webhooks/email/raw"
    assert deliver(raw, uuid.uuid4().hex, channel_url=channel, signing_key=EMAIL_SIGNING_KEY) == 200
    return parse_raw(raw).conversation_id


def test_no_mail_opens_a_case_unless_it_asks_for_one(live):
    run, problems, asked = uuid.uuid4().hex[:8], [], {}
    for number, mail in enumerate(corpus()):
        before = len(live.smtp.to(CUSTOMER))
        conversation = send(live, as_sent_by(mail.raw, CUSTOMER, f"corpus-{run}-{number}"))
        text = "\n".join(plain_text(reply) for reply in live.smtp.to(CUSTOMER)[before:])
        kinds = [case.kind for case in cases_of(live, conversation)]
        if mail.asks_for_case:
            asked[mail.file] = kinds
        if len(kinds) > mail.asks_for_case:  # one request, one case at the most
            problems.append(f"{mail.file} opened {kinds}")
        # A request is with a case: its own, or the open case on the same payment, which it joins.
        if mail.asks_for_case and "case #" not in text:
            problems.append(f"{mail.file} asked for a case and was not told of one: {text}")
        if text and not mail.questions:
            problems.append(f"{mail.file} answered a mail with nothing to answer: {text}")
        if any(line in text for line in REPHRASE):
            problems.append(f"{mail.file} was asked to say it another way: {text}")
    assert not problems, "\n".join(problems)
    # The same check sees a case when one is asked for: a person, and a refund the rules leave to people.
    assert asked["10-asks-for-a-person.eml"] == ["handoff"]
    assert asked["06-plain-no-greeting-no-signoff.eml"] == ["refund"]
    assert asked["42-forwarded-gmail-with-note.eml"] == ["handoff"]  # charged twice: for a person


def test_a_day_of_the_month_counts_from_when_the_mail_was_written(live):
    charged = charge_of(live, "ch_vera_1").created
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(charged.day, "th")
    body = f"Hello,\n\nI was charged $49 on the {charged.day}{suffix} although I had cancelled. " \
           "Can I get a refund?\n\n" \
           "Thank you,\nVera\n"
    raw = (f"From: Vera Holm <{CUSTOMER}>\r\nTo: support@grouptrack.example\r\nSubject: Charged\r\n"
           f"Message-ID: <vera-date-{uuid.uuid4().hex[:8]}@mail.example>\r\nDate: {format_datetime(now_utc())}\r\n"
           f"Authentication-Results: mx.grouptrack.example; spf=pass smtp.mailfrom=example.com\r\n\r\n{body}").encode()
    before = len(live.smtp.to(CUSTOMER))
    send(live, raw)
    [reply] = live.smtp.to(CUSTOMER)[before:]
    assert "case #" in plain_text(reply) and "You mentioned" not in plain_text(reply), plain_text(reply)
