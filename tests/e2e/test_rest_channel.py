"""The REST channel accepts only what the widget sends, and a token issued on one channel
never identifies a message that arrived on another."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.identity import verified_email
from bot.app.identity import issue_customer_token
from channels.rest import MAX_MESSAGE, GuardedRestInput, RefusedMessage, check_body
from tests.support.chat_records import channel_records  # noqa: F401 - the fixture

SECRET = "dev-only-customer-token-secret-change-me"


@pytest.mark.parametrize("body, status", [
    ([], 400), ("hi", 400), ({"message": "hi"}, 400), ({"sender": "a b", "message": "hi"}, 400),
    ({"sender": "s1\n", "message": "hi"}, 400),
    ({"sender": "x" * 65, "message": "hi"}, 400), ({"sender": "s1", "message": 7}, 400),
    ({"sender": "s1", "message": "  "}, 400), ({"sender": "s1", "message": "x" * (MAX_MESSAGE + 1)}, 413),
    ({"sender": "s1", "message": "hi", "metadata": {"customer_token": "t", "input_channel": "slack"}}, 400),
    ({"sender": "s1", "message": "hi", "metadata": {"customer_token": ["t"]}}, 400),
    ({"sender": "s1", "message": "hi", "metadata": "x"}, 400),
])
def test_anything_but_what_the_widget_sends_is_refused(body, status):
    with pytest.raises(RefusedMessage) as refused:
        check_body(body)
    assert refused.value.status_code == status


def test_what_the_widget_sends_passes():
    check_body({"sender": "5b3c-widget", "message": "x" * MAX_MESSAGE, "metadata": {"customer_token": "a.b.c"}})
    check_body({"sender": "U012AB3CD", "message": "refund please"})


class Request:
    def __init__(self, json):
        self.json, self.ip, self.headers = json, "127.0.0.1", {}



@pytest.mark.usefixtures("channel_records")
def test_a_sender_is_slowed_down_and_the_channel_is_always_rest():
    import asyncio
    channel = GuardedRestInput(per_minute=1, burst=2)
    body = {"sender": "flood", "message": "hi", "input_channel": "slack"}
    assert asyncio.run(channel._extract_sender(Request(body))) == "flood"
    assert asyncio.run(channel._extract_sender(Request(body))) == "flood"
    with pytest.raises(RefusedMessage) as refused:
        asyncio.run(channel._extract_sender(Request(body)))
    assert refused.value.status_code == 429
    assert asyncio.run(channel._extract_sender(Request({**body, "sender": "other"}))) == "other"
    assert channel._extract_input_channel(Request(body)) == "rest"


def user(text, channel, token=None):
    return {"event": "user", "text": text, "input_channel": channel,
            "metadata": {"customer_token": token} if token else {}}


def test_a_rest_caller_naming_a_slack_conversation_does_not_inherit_its_token(monkeypatch, engine, db_url):
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", db_url)  # where one-time-code identities would be looked up
    token = issue_customer_token("ana@example.com", secret=SECRET)
    slack_then_rest = [user("what plan am I on?", "slack", token), user("refund me", "rest")]
    assert verified_email(Tracker("U012AB3CD", {}, {}, slack_then_rest, False, None, {}, "")) is None
    # Proof is on each message: Slack's own next message, with the token Slack's channel puts on it, is Ana.
    slack_again = slack_then_rest + [user("and now?", "slack", token)]
    assert verified_email(Tracker("U012AB3CD", {}, {}, slack_again, False, None, {}, "")) == "ana@example.com"
    assert verified_email(Tracker("U012AB3CD", {}, {}, slack_again + [user("yes", "slack")], False, None, {},
                                  "")) is None


def test_the_live_rest_webhook_refuses_before_the_bot_answers(live):
    import json
    import urllib.error
    import urllib.request

    def post(body) -> int:
        request = urllib.request.Request(f"{live.urls['rasa']}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post({"sender": "rest-limits", "message": "x" * (MAX_MESSAGE + 1)}) == 413
    assert post({"sender": "rest-limits", "message": "hi", "metadata": {"is_admin": True}}) == 400
    assert post({"sender": "rest-limits", "message": "hello"}) == 200
