"""Identity and the channels' borders on a real database (issue 26, items 3, 12 and 13): each
channel reaches only its own conversations, a conversation's proven address never changes,
a mail that cannot be read keeps its token for the provider's retry, and one client cannot
flood an address with codes nor lock its owner out."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import verification
from bot.app.chats import Chats
from bot.app.identity import issue_customer_token
from bot.app.verification import Client
from bot.db import activity, models
from bot.db.session import unit_of_work
from bot.settings import load_policy
from bot.web.widget.app import make_app
from tests.conftest import DEMO_NOW
from tests.unit.test_widget_api import FakeRasa

EMAIL_THREAD = "email-" + hashlib.sha256(b"<m1@example.com>|ida@example.com").hexdigest()[:32]
HOST_APP_CHAT = "host-app-user-000000042"


@pytest.fixture
def app_database(engine, db_url, monkeypatch):
    """The channels (in this process) and the widget use this database, and remember no
    conversation's owner from another test's."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr("channels.turns.chats", Chats(engine))
    return engine


def noted(engine, conversation_id: str, channel: str) -> None:
    """A conversation that already had a message on `channel`."""
    Chats(engine).note_customer_messages({conversation_id: (channel, 1, DEMO_NOW, DEMO_NOW)})


def widget_calls(engine, calls: list[tuple[str, str, dict | None]]) -> tuple[list[int], FakeRasa]:
    rasa = FakeRasa()

    async def run():
        client = TestClient(TestServer(make_app(conversations=rasa, chats=Chats(engine))))
        await client.start_server()
        try:
            statuses = []
            for method, path, body in calls:
                response = await (client.get(path) if method == "GET" else client.post(path, json=body))
                statuses.append(response.status)
                response.close()
            return statuses
        finally:
            await client.close()
    return asyncio.run(run()), rasa


def test_the_widget_reaches_no_email_thread_and_no_rest_clients_conversation(app_database):
    noted(app_database, EMAIL_THREAD, "email")
    noted(app_database, HOST_APP_CHAT, "rest")
    token = issue_customer_token("mallory@example.net")
    for conversation in (EMAIL_THREAD, HOST_APP_CHAT):
        statuses, rasa = widget_calls(app_database, [
            ("GET", f"/api/history?conversation_id={conversation}", None),
            ("GET", f"/api/events?conversation_id={conversation}", None),
            ("POST", "/api/messages", {"conversation_id": conversation, "text": "my plan?", "customer_token": token}),
            ("POST", "/api/messages", {"conversation_id": conversation, "text": "my plan?"}),
            ("POST", "/api/copy", {"conversation_id": conversation}),
            ("POST", "/api/rating", {"conversation_id": conversation, "subject": "case:1", "score": 5}),
            ("POST", "/api/left", {"conversation_id": conversation}),
        ])
        assert statuses == [403] * 7 and rasa.sent == [], (conversation, statuses)
        with unit_of_work(app_database) as session:
            row = activity.find(session, conversation)
            assert (row.widget, row.email, row.widget_seen_at) == (False, None, None)


def test_an_email_thread_id_is_the_email_channels_even_before_its_first_mail(app_database):
    statuses, rasa = widget_calls(app_database, [("GET", f"/api/history?conversation_id={EMAIL_THREAD}", None),
                                                 ("POST", "/api/messages", {"conversation_id": EMAIL_THREAD,
                                                                            "text": "hi"})])
    assert statuses == [403, 403] and rasa.sent == []


def rest_request(sender: str, headers: dict | None = None):
    return SimpleNamespace(json={"sender": sender, "message": "what plan am I on?"}, ip="127.0.0.1",
                           headers=headers or {})


def rest_outcomes(requests) -> list:
    from channels.rest import GuardedRestInput, RefusedMessage
    channel = GuardedRestInput()

    async def run():
        outcomes = []
        for request in requests:
            try:
                outcomes.append(await channel._extract_sender(request))
            except RefusedMessage as refused:
                outcomes.append(refused.status_code)
        return outcomes
    return asyncio.run(run())


def test_a_rest_client_reaches_no_other_channels_conversation(app_database):
    from bot.notify.rasa_api import RasaConversations
    noted(app_database, "U012AB3CD", "slack")
    noted(app_database, "0f3c2b1a9d8e7f6a5b4c3d2e1f0a9b8c", "socketio")
    widget_chat = "0f8b7c2e-4a1d-4c1e-9a77-2b0c5f1d9e10"
    Chats(app_database).claim(widget_chat, "widget", now=DEMO_NOW)
    relay = RasaConversations.from_env().relay_headers()
    assert rest_outcomes([rest_request(EMAIL_THREAD), rest_request("slack-U012AB3CD"), rest_request("U012AB3CD"),
                          rest_request("0f3c2b1a9d8e7f6a5b4c3d2e1f0a9b8c"), rest_request(widget_chat),
                          rest_request(widget_chat, {"X-Widget-Relay": "made-up"}),
                          rest_request(widget_chat, relay), rest_request(HOST_APP_CHAT, relay),
                          rest_request(HOST_APP_CHAT)]) == [403] * 6 + [widget_chat, HOST_APP_CHAT, 403]


def test_slack_and_socketio_conversations_have_their_own_ids(app_database):
    from channels.rest import RefusedMessage
    from channels.slack import CustomerSlackInput
    from channels.socketio import check_own_conversation, widget_session
    slack = CustomerSlackInput.from_credentials({"slack_signing_secret": "s", "slack_token": "xoxb-1"})
    assert slack._get_conversation_id("U012AB3CD", "D1", None) == "slack-U012AB3CD"
    assert widget_session(EMAIL_THREAD) is None and widget_session("slack-U012AB3CD-000") is None
    noted(app_database, HOST_APP_CHAT + "-socket", "rest")
    for session in (EMAIL_THREAD, HOST_APP_CHAT + "-socket"):
        with pytest.raises(RefusedMessage) as refused:
            asyncio.run(check_own_conversation(session))
        assert refused.value.status_code == 403


def test_a_conversations_proven_address_never_changes(app_database):
    chats = Chats(app_database)
    with unit_of_work(app_database) as session:
        session.add(models.VerificationCode(
            conversation_id="widget-chat-0000000001", channel="rest", client_key_hash="k", email="ana@example.com",
            code_hmac="x", created_at=DEMO_NOW, expires_at=DEMO_NOW + timedelta(minutes=10), attempts=1,
            verified_at=DEMO_NOW))
    chats.widget_seen("widget-chat-0000000001", now=DEMO_NOW, token=issue_customer_token("mallory@example.net"))
    with unit_of_work(app_database) as session:
        assert activity.known_email(session, "widget-chat-0000000001") == "ana@example.com"


# --- a mail that cannot be read keeps its token -------------------------------------------------

def test_a_mail_that_fails_to_parse_can_be_delivered_again(app_database, monkeypatch, tmp_path):
    from channels.email import EmailInput
    from bot.email.channel import parse_raw
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    monkeypatch.delenv("SMTP_HOST", raising=False)
    channel = EmailInput(signing_key="key", reply_from="support@grouptrack.example")
    timestamp, token = str(int(time.time())), "provider-token-1"
    signature = hmac.new(b"key", f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    raw = (b"From: kit@example.org\r\nMessage-ID: <k1@example.org>\r\nSubject: Trial\r\n\r\n"
           b"How long is the free trial?\r\n")

    async def on_new_message(message):
        message.output_channel.messages.append({"text": "The trial lasts 12 days."})

    async def intent_of(text):
        return "ask_free_trial", 0.99

    def broken():
        raise LookupError("unknown encoding: x-unheard-of")

    with pytest.raises(LookupError):
        asyncio.run(channel._receive(on_new_message, intent_of, timestamp, token, signature, broken))
    again = asyncio.run(channel._receive(on_new_message, intent_of, timestamp, token, signature,
                                         lambda: parse_raw(raw)))
    assert again.status == 200
    assert asyncio.run(channel._receive(on_new_message, intent_of, timestamp, token, signature,
                                        lambda: parse_raw(raw))).status == 406  # and only once


# --- codes: per requesting client across conversations ------------------------------------------

@pytest.fixture
def outbox(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("SMTP_HOST", raising=False)
    return tmp_path / "outbox"


def codes_sent(outbox) -> int:
    return len(list(outbox.glob("*.eml"))) if outbox.exists() else 0


def test_one_client_opening_chat_after_chat_gets_a_few_codes_and_hears_when_to_try_again(seeded_engine, outbox):
    attacker = [Client(f"chat-{n}", "rest", f"fresh-key-for-chat-{n:06d}", "203.0.113.13") for n in range(7)]
    results = [verification.send_code(client, "ana@example.com", now=DEMO_NOW + timedelta(minutes=n),
                                      engine=seeded_engine) for n, client in enumerate(attacker) for _ in range(3)]
    limit = load_policy().codes_per_address_per_hour
    assert codes_sent(outbox) == limit and [r.limited for r in results].count(False) == limit
    refused = results[-1]
    assert refused.retry_at == DEMO_NOW + timedelta(hours=1)  # when the first of the client's codes is an hour old
    # The owner, in a fresh chat of their own, is not locked out by the stranger's requests.
    owner = Client("owners-own-chat", "rest", "the-owners-own-key-0000", "198.51.100.20")
    assert not verification.send_code(owner, "ana@example.com", now=DEMO_NOW + timedelta(minutes=30),
                                      engine=seeded_engine).limited
    assert codes_sent(outbox) == limit + 1
