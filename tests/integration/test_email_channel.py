"""Email in the core: Mailgun signatures and replays, threading, stripping, questions,
and the composed reply."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

import pytest

from bot.email.channel import ForgedMail, compose_reply, parse_mailgun, questions, remember_token, verify_mailgun

KEY = "mailgun-signing-key"
NOW = datetime.now(timezone.utc)


def mailgun_signature(timestamp: str, token: str, key: str = KEY) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def test_only_a_fresh_correct_signature_passes():
    # Timestamps come from the same NOW the check is given: the suite runs for minutes after import.
    ts = str(int(NOW.timestamp()))
    verify_mailgun(KEY, ts, "tok1", mailgun_signature(ts, "tok1"), NOW)
    for key, timestamp in ((KEY + "x", ts), (KEY, str(int(NOW.timestamp()) - 301))):
        with pytest.raises(ForgedMail):
            verify_mailgun(KEY, timestamp, "tok1", mailgun_signature(timestamp, "tok1", key), NOW)
    with pytest.raises(ForgedMail, match="not configured"):
        verify_mailgun(None, ts, "tok1", mailgun_signature(ts, "tok1"), NOW)


def test_a_token_is_accepted_once(engine):
    remember_token("tok-a", now=NOW, engine=engine)
    with pytest.raises(ForgedMail, match="replay"):
        remember_token("tok-a", now=NOW, engine=engine)


REPLY_BODY = """Yes, please go ahead.

Thanks,
Ana

On Mon, Nov 23, 2026 at 10:00 AM GroupTrack support <support@grouptrack.example> wrote:
> To refund 46.55 USD, your subscription has to be cancelled now. Shall I?
> Reply to this email with YES or NO.
"""


def test_a_reply_is_threaded_and_stripped_of_the_quote():
    first = parse_mailgun({"sender": "Ana Lima <ANA@example.com>", "subject": "Refund",
                           "Message-Id": "<m1@mail.example>", "body-plain": "I cancelled a day late. Refund?",
                           "X-Mailgun-Dkim-Check-Result": "Pass"})
    reply = parse_mailgun({"sender": "ana@example.com", "subject": "Re: Refund", "Message-Id": "<m3@mail.example>",
                           "In-Reply-To": "<m2@grouptrack.example>",
                           "References": "<m1@mail.example> <m2@grouptrack.example>",
                           "body-plain": REPLY_BODY, "X-Mailgun-Spf": "Pass"})
    assert first.sender == "ana@example.com" and first.sender_verified and reply.sender_verified
    assert reply.conversation_id == first.conversation_id  # the same thread, the same conversation
    assert "wrote:" not in reply.text and "46.55" not in reply.text
    assert questions(reply.text) == ["Yes, please go ahead."]
    stranger = parse_mailgun({"sender": "eve@evil.example", "Message-Id": "<x@evil>", "References": "<m1@mail.example>",
                              "body-plain": "refund"})
    assert stranger.conversation_id != first.conversation_id and not stranger.sender_verified


def test_several_questions_are_found_and_small_talk_left_out():
    text = "Hi,\n\nHow long is the free trial? And why is there a fee on refunds?\n\nAlso, what plan am I on.\n\nThanks!"
    assert questions(text) == ["How long is the free trial?", "And why is there a fee on refunds?",
                               "Also, what plan am I on."]


def test_one_reply_answers_every_question_and_escapes_html():
    text, html = compose_reply([
        ("How long is the trial?", [{"text": "12 days."}]),
        ("Refund <b>now</b>?", [{"text": "Shall I refund 46.55 USD?", "buttons": [
            {"title": "Yes, refund me", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]}]),
    ], brand="GroupTrack CRM")
    assert "> How long is the trial?\n12 days." in text
    assert "Reply to this email with YES (Yes, refund me) or NO (No)." in text
    assert "Refund &lt;b&gt;now&lt;/b&gt;?" in html and "<b>now</b>" not in html


def test_a_subject_with_line_breaks_is_one_line_and_the_reply_can_be_sent(engine, tmp_path, monkeypatch):
    # Found by tests/test_fuzz_http.py: the subject was kept with its line break and every
    # reply in that thread failed on the mail library's header check.
    from bot.email.channel import remember_thread, send_in_thread
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    mail = parse_mailgun({"sender": "ana@example.com", "subject": "Refund\r\nBcc: mallory@example.com\n please",
                          "body-plain": "Can I get a refund?", "Message-Id": "<m1@example.com>"})
    assert mail.subject == "Refund Bcc: mallory@example.com please"
    remember_thread(mail, engine=engine)
    assert send_in_thread(mail.conversation_id, "Yes.", "<p>Yes.</p>", sender="support@grouptrack.example",
                          engine=engine)
    [sent] = list(tmp_path.glob("*.eml"))
    headers = sent.read_bytes().split(b"\n\n", 1)[0]
    assert b"Subject: Re: Refund Bcc: mallory@example.com please" in headers and b"\nBcc:" not in headers


@pytest.mark.parametrize("sender", ["<ana\x00@example.com>", "x <a\tb@example.com>", '"a b"@example.com', "ana",
                                    "@", "a@b@c"])
def test_a_sender_address_that_cannot_be_replied_to_is_refused(sender):
    with pytest.raises(ValueError, match="no valid sender address"):
        parse_mailgun({"sender": sender, "subject": "Hi", "body-plain": "Refund?"})


def test_a_header_smuggled_after_the_sender_is_dropped():
    assert parse_mailgun({"sender": "ana@example.com\nBcc: x@example.com", "body-plain": "Refund?"}).sender == \
        "ana@example.com"
