"""A refund conversation by email, end to end: Mailgun-format webhooks into Rasa's email
channel, replies from a real SMTP server in the customer's thread, the refund once in
Stripe; forged and replayed webhooks refused."""
from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid

import pytest
import requests

from sqlalchemy import select

from bot.db import models
from bot.db.session import unit_of_work
from tests.e2e.test_console import charge_of
from tests.support.e2e_stack import EMAIL_SIGNING_KEY, mirror, stripe_refunds
from tests.support.smtp_server import plain_text

pytestmark = pytest.mark.e2e


def inbound(live, *, sender: str, subject: str, body: str, message_id: str, references: str = "",
            key: str = EMAIL_SIGNING_KEY, timestamp: int | None = None, token: str | None = None,
            attachment: bool = False, verdicts: dict | None = None) -> requests.Response:
    """A Mailgun route's POST; `verdicts` are Mailgun's own checks of the sender."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token or uuid.uuid4().hex
    fields = {"sender": sender, "from": f"Customer <{sender}>", "recipient": "support@grouptrack.example",
              "subject": subject, "body-plain": body, "Message-Id": message_id, "timestamp": timestamp,
              "token": token, **(verdicts or {"X-Mailgun-Spf": "Pass"}),
              "signature": hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()}
    if references:
        fields.update({"References": references, "In-Reply-To": references.split()[-1]})
    files = {"attachment-1": ("invoice.pdf", b"%PDF-1.4 not really", "application/pdf")} if attachment else None
    return requests.post(f"{live.urls['rasa']}/webhooks/email/inbound", data=fields, files=files, timeout=60)


def test_a_refund_by_email_in_one_thread(live):
    smtp = live.smtp
    first = inbound(live, sender="sol@example.com", subject="Charged after cancelling",
                    body="Hello,\n\nI cancelled a day late, can I get a refund?\n\nThanks,\nSol",
                    message_id="<sol-1@mail.example>", attachment=True)
    assert first.status_code == 200 and first.json()["answered"] == 1, first.text
    [offer] = smtp.to("sol@example.com")
    assert offer["Subject"] == "Re: Charged after cancelling" and offer["In-Reply-To"] == "<sol-1@mail.example>"
    assert "$46.55" in plain_text(offer) and "Reply to this email with YES" in plain_text(offer)
    assert offer.get_body(preferencelist=("html",)) is not None

    reply_body = ("Yes, go ahead please.\n\nSol\n\nOn Sun, Nov 22, 2026, GroupTrack support wrote:\n"
                  "> To refund $46.55, your subscription has to be cancelled now.\n")
    references = f"<sol-1@mail.example> {offer['Message-ID']}"
    yes = inbound(live, sender="sol@example.com", subject="Re: Charged after cancelling", body=reply_body,
                  message_id="<sol-2@mail.example>", references=references)
    assert yes.status_code == 200, yes.text
    done = smtp.to("sol@example.com")[-1]
    refunds = stripe_refunds(live, charge_of(live, "ch_sol_1").stripe_id)
    said = plain_text(done)  # the amount refunded, never the processor's id
    assert len(refunds) == 1 and f"${refunds[0].amount / 100:,.2f}" in said and refunds[0].id not in said, said
    assert "<sol-1@mail.example>" in done["References"] and done["In-Reply-To"] == "<sol-2@mail.example>"


def test_forged_and_replayed_mail_is_refused_and_answered_never(live):
    smtp, before = live.smtp, len(live.smtp.messages)
    forged = inbound(live, sender="dan@example.com", subject="refund", body="refund please",
                     message_id="<f-1@x>", key="guessed-key")
    stale = inbound(live, sender="dan@example.com", subject="refund", body="refund please",
                    message_id="<f-2@x>", timestamp=int(time.time()) - 900)
    token = uuid.uuid4().hex
    once = inbound(live, sender="dan@example.com", subject="trial", body="How long is the free trial?",
                   message_id="<f-3@x>", token=token)
    again = inbound(live, sender="dan@example.com", subject="trial", body="How long is the free trial?",
                    message_id="<f-3@x>", token=token)
    assert [r.status_code for r in (forged, stale, once, again)] == [401, 401, 200, 406]
    assert len(smtp.messages) == before + 1  # only the genuine one was answered


def test_several_questions_get_one_reply(live):
    inbound(live, sender="visitor@example.net", subject="Questions",
            body="Hi,\n\nHow long is the free trial? And why is there a fee on refunds?\n\nBest,\nKim",
            message_id="<q-1@example.net>")
    [reply] = live.smtp.to("visitor@example.net")
    text = plain_text(reply)
    assert "> How long is the free trial?" in text and "12-day trial" in text
    assert "> And why is there a fee on refunds?" in text and "5% refund processing fee" in text


def test_what_the_assistant_cannot_answer_goes_to_a_person_by_itself(live):
    # A question no intent and no passage of the texts answers (invoice changes, which this once asked
    # about, are read since 2026-12-07 as the request for a person they are, and go to one too).
    answer = inbound(live, sender="wes@example.net", subject="Trial and data centre",
                     body="Hello,\n\nHow long is the free trial? And can you move our workspace to the EU data "
                          "centre?\n\nBest,\nWes", message_id="<wes-1@example.net>")
    assert answer.status_code == 200 and answer.json()["unanswered"] == 1, answer.text
    [reply] = live.smtp.to("wes@example.net")
    text = plain_text(reply)
    assert "12-day trial" in text and "case #" in text, text
    assert "talk to a person" not in text  # never left to the customer to ask for one
    # make run, 2026-12-07: the case opened for this mail was told as "already with our support team"
    assert "already with" not in text and "asked a person from our support team" in text, text
    engine = mirror(live)
    with unit_of_work(engine) as session:
        [case] = session.execute(select(models.ReviewCase).where(
            models.ReviewCase.conversation_id == answer.json()["conversation_id"])).scalars().all()
        assert case.kind == "handoff" and "EU data centre" in case.customer_note and f"case #{case.id}" in text
    engine.dispose()


def test_a_sentence_asking_two_things_gets_both_answers(live):
    inbound(live, sender="jo@example.net", subject="Questions", message_id="<jo-1@example.net>",
            body="Two quick questions: is there a free trial, and what happens if a card payment fails later on?")
    [reply] = live.smtp.to("jo@example.net")
    text = plain_text(reply)
    assert "12-day trial" in text and "retried" in text, text


def test_an_agents_decision_reaches_the_customer_in_their_email_thread(live):
    from tests.support.console_client import Agent
    inbound(live, sender="uma@example.com", subject="Late cancellation",
            body="I cancelled but you charged me anyway, refund please", message_id="<uma-1@mail.example>")
    [told] = live.smtp.to("uma@example.com")
    case_id = int(plain_text(told).split("case #")[1].split()[0].rstrip("."))
    alice = Agent(live.urls["console"], "alice")
    alice.post(f"/cases/{case_id}/decide", verdict="deny", note="The period was used in full.")
    decision = live.smtp.to("uma@example.com")[-1]
    assert "can't grant it. The period was used in full." in plain_text(decision)
    assert "<uma-1@mail.example>" in decision["References"] and decision["Subject"] == "Re: Late cancellation"


def test_a_mailbox_read_over_imap_is_answered_once(live, imap_server):
    from bot.email.imap import poll_once
    from tests.support.imap_server import mailbox
    raw = (b"From: Wen <wen@example.org>\r\nTo: support@grouptrack.example\r\nSubject: Trial question\r\n"
           b"Message-ID: <wen-1@example.org>\r\n"
           b"Authentication-Results: mx.grouptrack.example; spf=pass smtp.mailfrom=example.org\r\n\r\n"
           b"Hello, how long is the free trial?\r\n\r\nWen\r\n")
    imap = mailbox(imap_server)
    imap.append("INBOX", None, None, raw)
    channel = f"{live.urls['rasa']}/webhooks/email/raw"
    assert poll_once(imap, mailbox_id="test", channel_url=channel, signing_key=EMAIL_SIGNING_KEY) == 1
    [reply] = live.smtp.to("wen@example.org")
    assert "12-day trial" in plain_text(reply) and reply["In-Reply-To"] == "<wen-1@example.org>"
    assert poll_once(imap, mailbox_id="test", channel_url=channel, signing_key=EMAIL_SIGNING_KEY) == 0
    imap.select("INBOX")
    imap.store(b"1", "-FLAGS", "(\\Seen)")  # as if the poller had crashed before marking it
    assert poll_once(imap, mailbox_id="test", channel_url=channel, signing_key=EMAIL_SIGNING_KEY) == 0
    assert len(live.smtp.to("wen@example.org")) == 1  # the channel knew it: no second answer
    imap.logout()


def test_bot_email_try_talks_to_the_channel(live):
    import subprocess
    import sys

    from bot.settings import ROOT
    result = subprocess.run([sys.executable, "-m", "bot", "email-try", "tess@example.org",
                             "How long is the free trial?"],
                            cwd=ROOT, env={**live.env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "HTTP 200" in result.stdout, result.stdout + result.stderr
    assert "12-day trial" in plain_text(live.smtp.to("tess@example.org")[-1])
    # A reply in the thread it names is the same conversation (the widget's "come back later", by mail).
    first = re.search(r"--reply-to '([^']+)'", result.stdout).group(1)
    again = subprocess.run([sys.executable, "-m", "bot", "email-try", "--reply-to", first, "tess@example.org",
                            "thanks"], cwd=ROOT, env={**live.env}, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    engine = mirror(live)
    with unit_of_work(engine) as session:
        [thread] = session.execute(select(models.EmailThread).where(
            models.EmailThread.address == "tess@example.org")).scalars().all()
        assert first in thread.references  # one thread, one conversation: the reply joined it
    engine.dispose()
