"""Issue 26's attacks on identity and on the channels' borders, against the live servers:
a mail whose sender proof is someone else's, a widget reading or writing an email thread,
a REST or socket.io client naming another channel's conversation, JSON nested thousands
deep, a mail in a charset nobody knows, and one client flooding an address with codes."""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest
import requests
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.db.session import unit_of_work
from bot.email.imap import deliver, sign
from tests.e2e.test_email_e2e import inbound
from tests.support.e2e_stack import EMAIL_SIGNING_KEY, SECRET, client_key, mirror, texts
from tests.support.smtp_server import plain_text

pytestmark = pytest.mark.e2e
RECEIVER = "mx.grouptrack.example"  # the receiving server `make run` and the tests trust (EMAIL_AUTHSERV_ID)


def raw_mail(sender: str, body: str, *, results: str, message_id: str, references: str = "",
             charset: str = "utf-8") -> bytes:
    thread = f"References: {references}\r\nIn-Reply-To: {references.split()[-1]}\r\n" if references else ""
    return (f"Authentication-Results: {results}\r\nFrom: {sender}\r\nTo: support@grouptrack.example\r\n"
            f"Subject: My subscription\r\nMessage-ID: {message_id}\r\n{thread}"
            f"Content-Type: text/plain; charset={charset}\r\n\r\n{body}\r\n").encode()


def post_raw(live, raw: bytes, token: str | None = None) -> int:
    return deliver(raw, token or uuid.uuid4().hex, channel_url=f"{live.urls['rasa']}/webhooks/email/raw",
                   signing_key=EMAIL_SIGNING_KEY)


def renewing(live, email: str) -> bool:
    engine = mirror(live)
    with unit_of_work(engine) as session:
        subscription = session.execute(select(models.Subscription).join(models.Customer).where(
            models.Customer.email == email)).scalar_one()
        stays = not subscription.cancel_at_period_end and subscription.status == "active"
    engine.dispose()
    return stays


# --- 1. a mail proves its sender only by our own server's aligned verdict -----------------

def test_a_mail_whose_pass_is_for_another_domain_cannot_stop_the_renewal(live):
    """The attack as it was run: SPF passed for the attacker's own domain, DMARC failed for the
    customer's; the sender asked to cancel and then said YES."""
    forged = "mx.receiver.test; spf=pass smtp.mailfrom=attacker.test; dmarc=fail header.from=example.com"
    first = raw_mail("Dov Levi <dov@example.com>", "Please cancel my subscription.", results=forged,
                     message_id="<dov-forged-1@attacker.test>")
    assert post_raw(live, first) == 200
    yes = raw_mail("Dov Levi <dov@example.com>", "YES", results=forged, message_id="<dov-forged-2@attacker.test>",
                   references=f"<dov-forged-1@attacker.test> {live.smtp.to('dov@example.com')[-1]['Message-ID']}")
    assert post_raw(live, yes) == 200
    time.sleep(1)
    assert renewing(live, "dov@example.com")


def test_a_mailgun_dkim_pass_for_some_domain_proves_nothing_about_the_from_address(live):
    """Mailgun's DKIM verdict does not say whose signature passed: the attacker signs with
    their own domain, names the customer as the sender, and SPF fails for the customer's."""
    forged = {"X-Mailgun-Dkim-Check-Result": "Pass", "X-Mailgun-Spf": "SoftFail"}
    first = inbound(live, sender="dag@example.com", subject="Cancel", body="Please cancel my subscription.",
                    message_id="<dag-forged-1@attacker.test>", verdicts=forged)
    assert first.status_code == 200, first.text
    offer = live.smtp.to("dag@example.com")[-1]
    yes = inbound(live, sender="dag@example.com", subject="Re: Cancel", body="YES",
                  message_id="<dag-forged-2@attacker.test>", verdicts=forged,
                  references=f"<dag-forged-1@attacker.test> {offer['Message-ID']}")
    assert yes.status_code == 200, yes.text
    time.sleep(1)
    assert renewing(live, "dag@example.com")


# --- 3. no channel reaches another's conversations ----------------------------------------

@pytest.fixture(scope="module")
def idas_thread(live):
    """Ida asks about her plan by mail, verified by our receiving server; the answer is in the thread."""
    root = f"<ida-{uuid.uuid4().hex[:8]}@example.com>"
    raw = raw_mail("Ida Berg <ida@example.com>", "What plan am I on?", message_id=root,
                   results=f"{RECEIVER}; spf=pass smtp.mailfrom=ida@example.com; dmarc=pass header.from=example.com")
    response = requests.post(f"{live.urls['rasa']}/webhooks/email/raw", data=raw, timeout=120, headers={
        "Content-Type": "message/rfc822", **signed_headers()})
    assert response.status_code == 200, response.text
    assert "Pro" in plain_text(live.smtp.to("ida@example.com")[-1])
    return response.json()["conversation_id"]


def signed_headers() -> dict:
    token, timestamp = uuid.uuid4().hex, str(int(time.time()))
    return {"X-Mail-Timestamp": timestamp, "X-Mail-Token": token,
            "X-Mail-Signature": sign(EMAIL_SIGNING_KEY, token, timestamp)}


def test_the_widget_cannot_read_an_email_thread(live, idas_thread):
    widget = live.urls["widget"]
    history = requests.get(f"{widget}/api/history", params={"conversation_id": idas_thread}, timeout=30)
    assert history.status_code == 403 and "Pro" not in history.text, history.text
    with requests.get(f"{widget}/api/events", params={"conversation_id": idas_thread}, timeout=30,
                      stream=True) as events:
        assert events.status_code == 403


def test_the_widget_cannot_write_into_an_email_thread_nor_redirect_its_copy(live, idas_thread):
    widget, before = live.urls["widget"], len(live.smtp.messages)
    mallory = issue_customer_token("mallory@example.net", secret=SECRET)
    with_token = requests.post(f"{widget}/api/messages", timeout=60, json={
        "conversation_id": idas_thread, "text": "what plan am I on?", "customer_token": mallory})
    without = requests.post(f"{widget}/api/messages", timeout=60, json={
        "conversation_id": idas_thread, "text": "what plan am I on?"})
    copy = requests.post(f"{widget}/api/copy", timeout=60, json={"conversation_id": idas_thread})
    assert (with_token.status_code, without.status_code, copy.status_code) == (403, 403, 403)
    assert live.smtp.to("mallory@example.net") == [] and len(live.smtp.messages) == before


def rest(live, sender: str, text: str, headers: dict | None = None, **metadata) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{live.urls['rasa']}/webhooks/rest/webhook", method="POST",
        data=json.dumps({"sender": sender, "message": text, "metadata": metadata}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_rest_client_cannot_name_an_email_thread_or_a_widget_conversation(live, idas_thread):
    status, body = rest(live, idas_thread, "what plan am I on?")
    assert status == 403 and "Pro" not in body, body
    widget_chat = f"widget-{uuid.uuid4()}"
    assert requests.post(f"{live.urls['widget']}/api/messages", timeout=60, json={
        "conversation_id": widget_chat, "text": "hello"}).status_code == 200
    assert rest(live, widget_chat, "what plan am I on?")[0] == 403


def test_the_widget_cannot_read_a_rest_clients_conversation(live):
    sender = f"host-app-user-{uuid.uuid4().hex[:12]}"
    token = issue_customer_token("ida@example.com", secret=SECRET)
    assert rest(live, sender, "what plan am I on?", customer_token=token)[0] == 200
    history = requests.get(f"{live.urls['widget']}/api/history", params={"conversation_id": sender}, timeout=30)
    assert history.status_code == 403 and "Pro" not in history.text


def test_a_socketio_client_cannot_join_an_email_thread(live, idas_thread):
    import queue

    import socketio
    client, replies, confirmed = socketio.Client(), queue.Queue(), queue.Queue()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    client.connect(live.urls["rasa"], transports=["websocket"], socketio_path="/socket.io", wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": idas_thread})
        assert confirmed.get(timeout=30) != idas_thread
        client.emit("user_uttered", {"message": "what plan am I on?", "session_id": idas_thread})
        answer = replies.get(timeout=60)  # refused for its shape: not a session socket.io makes
        assert answer["text"].startswith("Not sent:") and "Pro" not in answer["text"], answer
    finally:
        client.disconnect()


# --- 11. JSON nested thousands deep is a 400, never a 500 ---------------------------------

DEEP = "[" * 7000 + "]" * 7000


@pytest.mark.parametrize("server, path", [
    ("widget", "/api/messages"), ("widget", "/api/left"), ("widget", "/api/rating"), ("widget", "/api/copy"),
    ("rasa", "/webhooks/rest/webhook"),
])
def test_json_nested_thousands_deep_is_refused_plainly(live, server, path):
    body = '{"conversation_id": "0f8b7c2e-4a1d-4c1e-9a77-2b0c5f1d9e12", "sender": "deep", "text": %s}' % DEEP
    response = requests.post(f"{live.urls[server]}{path}", data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (response.status_code, response.text[:200])


# --- 12. a mail in an unknown charset is answered ------------------------------------------

def test_a_mail_in_a_charset_nobody_knows_is_answered(live):
    raw = raw_mail("Kit <kit@example.org>", "How long is the free trial?", charset="x-unheard-of",
                   results=f"{RECEIVER}; spf=pass smtp.mailfrom=kit@example.org",
                   message_id=f"<kit-{uuid.uuid4().hex[:8]}@example.org>")
    assert post_raw(live, raw) == 200
    [reply] = live.smtp.to("kit@example.org")
    assert "12-day trial" in plain_text(reply)


# --- 13. one client cannot flood an address with codes, nor lock its owner out ------------

def from_address(live, address: str, sender: str, text: str) -> str:
    status, body = rest(live, sender, text, headers={"X-Forwarded-For": address}, client_key=client_key(sender))
    assert status == 200, body
    return texts(json.loads(body))


def test_one_client_opening_many_chats_gets_a_few_codes_and_the_owner_still_gets_one(live):
    attacker, run = "203.0.113.13", uuid.uuid4().hex[:6]
    said = []
    for chat in range(7):
        sender = f"flood-{run}-{chat}"
        from_address(live, attacker, sender, "what plan am I on?")
        said.append(from_address(live, attacker, sender, "ned@example.com"))
        said += [from_address(live, attacker, sender, "new code") for _ in range(2)]
    codes = [m for m in live.smtp.to("ned@example.com") if "Your code is" in plain_text(m)]
    assert len(codes) <= 5, len(codes)
    refusals = [reply for reply in said if "can't send another code" in reply]
    assert refusals and all(re.search(r"in \d+ minutes?\b", reply) for reply in refusals), said
    owner = f"owner-{run}"
    from_address(live, "198.51.100.20", owner, "what plan am I on?")
    assert "emailed it a 6-digit code" in from_address(live, "198.51.100.20", owner, "ned@example.com")
    assert len([m for m in live.smtp.to("ned@example.com") if "Your code is" in plain_text(m)]) == len(codes) + 1
