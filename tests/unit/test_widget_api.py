"""The widget's API in-process: limits, clear errors, and nothing sent when it refuses."""
from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.app.chats import ChatError
from bot.notify.conversations import ConversationError
from bot.web.limits import RateLimiter
from bot.web.widget.app import MAX_MESSAGE, make_app

CONVERSATION = "0f8b7c2e-4a1d-4c1e-9a77-2b0c5f1d9e10"


class FakeRasa:
    def __init__(self, down=False):
        self.sent, self.down = [], down

    def send(self, conversation_id, text, metadata):
        if self.down:
            raise ConversationError("connection refused")
        self.sent.append((conversation_id, text, metadata))
        return [{"recipient_id": conversation_id, "text": "Hi <there>", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]

    def transcript(self, conversation_id):
        if self.down:
            raise ConversationError("connection refused")
        return [{"who": "customer", "text": t, "buttons": []} for _c, t, _m in self.sent]


class FakeChats:
    """The widget's records, in memory: presence, the team's state, ratings and copies."""

    def __init__(self, rating_subject=None, address=None):
        self.seen, self.left, self.ratings, self.copies = [], [], [], []
        self.rating_subject, self.address = rating_subject, address

    def widget_seen(self, conversation_id, *, now, token=None):
        self.seen.append((conversation_id, token))

    def widget_left(self, conversation_id, *, now):
        self.left.append(conversation_id)

    def named(self, lines):
        return [{**line, "name": "Sam" if line["who"] == "agent" else None} for line in lines]

    def chat_state(self, conversation_id, *, now):
        rating = {"subject": self.rating_subject, "question": "How did we do?"} if self.rating_subject else None
        return {"person": None, "typing": False, "rating": rating, "version": str(len(self.ratings))}

    def rate(self, conversation_id, subject, score, comment, *, now):
        if subject != self.rating_subject or score not in range(1, 6):
            raise ChatError("Choose from 1 to 5 stars.")
        self.ratings.append((conversation_id, subject, score, comment))
        self.rating_subject = None

    def send_copy(self, conversation_id, lines, *, brand, email_from):
        if self.address is None:
            raise ChatError("sign in first")
        self.copies.append((self.address, [line["text"] for line in lines]))
        return f"sent to {self.address}"


def call(rasa, requests, limiter=None, chats=None):
    async def run():
        client = TestClient(TestServer(make_app(conversations=rasa, chats=chats or FakeChats(), limiter=limiter)))
        await client.start_server()
        try:
            results = []
            for method, path, body in requests:
                response = await client.request(method, path, json=body)
                is_json = response.content_type == "application/json"
                results.append((response.status, await response.json() if is_json else await response.text()))
            return results
        finally:
            await client.close()
    return asyncio.run(run())


def test_a_message_is_relayed_with_the_token_and_the_replies_come_back():
    rasa = FakeRasa()
    [(status, body)] = call(rasa, [("POST", "/api/messages", {"conversation_id": CONVERSATION,
                                                              "text": "  refund please ", "customer_token": "jwt"})])
    assert status == 200 and body["replies"] == [{"text": "Hi <there>", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
    assert rasa.sent == [(CONVERSATION, "refund please", {"customer_token": "jwt"})]


def test_bad_input_gets_a_clear_error_and_nothing_is_sent():
    rasa = FakeRasa()
    results = call(rasa, [
        ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "x" * (MAX_MESSAGE + 1)}),
        ("POST", "/api/messages", {"conversation_id": "../../etc", "text": "hi"}),
        ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "   "}),
        ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": ["not", "text"]}),
        ("GET", "/api/history?conversation_id=short", None),
    ])
    assert [status for status, _ in results] == [413, 400, 400, 400, 400]
    assert "too long (2001 characters)" in results[0][1]["error"]
    assert rasa.sent == []


def test_a_sender_who_floods_is_slowed_down():
    rasa = FakeRasa()
    message = ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "hi"})
    results = call(rasa, [message] * 5, limiter=RateLimiter(per_minute=1, burst=3))
    assert [status for status, _ in results] == [200, 200, 200, 429, 429]
    assert len(rasa.sent) == 3


def floods_from(addresses, trusted_proxies):
    """Three messages from each forwarded address, through one proxy at 127.0.0.1."""
    async def run():
        limiter = RateLimiter(per_minute=1, burst=2)
        client = TestClient(TestServer(make_app(conversations=FakeRasa(), chats=FakeChats(), limiter=limiter,
                                                trusted_proxies=trusted_proxies)))
        await client.start_server()
        try:
            statuses = []
            for index, address in enumerate(addresses):
                for _ in range(3):  # a new conversation each time: only the address bucket is shared
                    response = await client.post("/api/messages", headers={"X-Forwarded-For": address}, json={
                        "conversation_id": f"{CONVERSATION[:-4]}{index:02d}{_:02d}", "text": "hi"})
                    statuses.append(response.status)
            return statuses
        finally:
            await client.close()
    return asyncio.run(run())


def test_the_address_limit_counts_forwarded_addresses_only_from_a_trusted_proxy():
    assert floods_from(["203.0.113.7", "198.51.100.9"], frozenset({"127.0.0.1"})) == [200, 200, 429] * 2
    # Anyone else naming a new address each time is still one address.
    assert floods_from(["203.0.113.7", "198.51.100.9"], frozenset()) == [200, 200, 429, 429, 429, 429]
    # A client's own X-Forwarded-For entries in front of the proxy's do not count.
    assert floods_from(["10.0.0.1, 203.0.113.7", "10.0.0.2, 203.0.113.7"], frozenset({"127.0.0.1"})) == \
        [200, 200, 429, 429, 429, 429]


def test_when_the_assistant_is_down_the_customer_is_told_plainly():
    results = call(FakeRasa(down=True), [
        ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "hi"}),
        ("GET", f"/api/history?conversation_id={CONVERSATION}", None)])
    assert [status for status, _ in results] == [502, 502]
    assert results[0][1]["error"].startswith("The assistant can't be reached right now. Your message wasn't sent")


def test_the_demo_page_exists_only_in_demo_mode():
    assert [status for status, _ in call(FakeRasa(), [("GET", "/demo", None)])] == [404]


def test_turns_and_their_latency_are_exported():
    def answered(text: str) -> float:
        line = next(l for l in text.splitlines() if l.startswith('grouptrack_turns_total{channel="widget",result="answered"}'))
        return float(line.rsplit(" ", 1)[1])

    [(_, before), _, (status, after)] = call(FakeRasa(), [
        ("GET", "/metrics", None),
        ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "hello"}),
        ("GET", "/metrics", None)])
    assert status == 200 and answered(after) == answered(before) + 1
    assert 'grouptrack_turn_seconds_count{channel="widget"}' in after
