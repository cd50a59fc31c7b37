"""The widget's API in-process: limits, clear errors, and nothing sent when it refuses."""
from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.notify.rasa_api import ConversationError
from bot.web.limits import RateLimiter
from bot.web.widget.app import MAX_MESSAGE, make_app
from tests.support.chat_records import FakeChats

CONVERSATION = "0f8b7c2e-4a1d-4c1e-9a77-2b0c5f1d9e10"


class FakeRasa:
    def __init__(self, down=False):
        self.sent, self.addresses, self.down = [], [], down

    def send(self, conversation_id, text, metadata, client_address=None):
        if self.down:
            raise ConversationError("connection refused")
        self.sent.append((conversation_id, text, metadata))
        self.addresses.append(client_address)
        return [{"recipient_id": conversation_id, "text": "Hi <there>",
                 "buttons": [{"title": "Yes", "payload": "/affirm"}]}]

    def transcript(self, conversation_id):
        if self.down:
            raise ConversationError("connection refused")
        return [{"who": "customer", "text": t, "buttons": []} for _c, t, _m in self.sent]


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
    assert status == 200 and body["replies"] == [{"text": "Hi <there>",
                                                  "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
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
        counter = 'grouptrack_turns_total{channel="widget",result="answered"}'
        line = next(each for each in text.splitlines() if each.startswith(counter))
        return float(line.rsplit(" ", 1)[1])

    [(_, before), _, (status, after)] = call(FakeRasa(), [
        ("GET", "/metrics", None),
        ("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "hello"}),
        ("GET", "/metrics", None)])
    assert status == 200 and answered(after) == answered(before) + 1
    assert 'grouptrack_turn_seconds_count{channel="widget"}' in after


def test_the_history_carries_times_names_the_welcome_and_the_teams_state():
    rasa = FakeRasa()
    rasa.transcript = lambda conversation_id: [
        {"who": "customer", "text": "hi", "at": 1.0, "buttons": []},
        {"who": "agent", "text": "Sam here", "at": 2.0, "agent": "sam", "notice": "joined", "buttons": []}]
    [(status, body)] = call(rasa, [("GET", f"/api/history?conversation_id={CONVERSATION}", None)])
    assert status == 200 and [(m["who"], m["at"], m["name"], m["notice"]) for m in body["messages"]] == [
        ("customer", 1.0, None, None), ("agent", 2.0, "Sam", "joined")]
    assert body["state"] == {"person": None, "typing": False, "rating": None}
    assert "assistant" in body["welcome"]["text"] and body["welcome"]["topics"][0]["text"]


def test_a_rating_is_kept_once_and_only_for_what_was_asked():
    chats = FakeChats(rating_subject="case:3")
    rate = lambda score, subject="case:3": ("POST", "/api/rating", {  # noqa: E731
        "conversation_id": CONVERSATION, "subject": subject, "score": score, "comment": "ok"})
    results = call(FakeRasa(), [rate(9), rate(5, "case:4"), rate(5), rate(4)], chats=chats)
    assert [status for status, _ in results] == [400, 400, 200, 400]
    assert chats.ratings == [(CONVERSATION, "case:3", 5, "ok")]


def test_a_copy_goes_to_the_proven_address_or_the_customer_is_told_why_not():
    rasa = FakeRasa()
    rasa.sent.append((CONVERSATION, "hello", {}))
    copy = ("POST", "/api/copy", {"conversation_id": CONVERSATION})
    [(refused, body)] = call(rasa, [copy])
    assert refused == 409 and body["error"] == "sign in first"
    chats = FakeChats(address="ben@example.com")
    [(status, body)] = call(rasa, [copy], chats=chats)
    assert status == 200 and chats.copies == [("ben@example.com", ["hello"])]


def test_the_event_stream_starts_with_the_state_and_leaving_is_recorded():
    chats = FakeChats(rating_subject="case:3")

    async def run():
        client = TestClient(TestServer(make_app(conversations=FakeRasa(), chats=chats,
                                                allowed_origins=frozenset({"https://shop.example"}))))
        await client.start_server()
        try:
            response = await client.get(f"/api/events?conversation_id={CONVERSATION}",
                                        headers={"Origin": "https://shop.example"})
            assert response.headers["Content-Type"] == "text/event-stream"
            # An allowed site's page may read the stream; the header names it, never '*'.
            assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
            lines = [await response.content.readline() for _ in range(4)]
            response.close()
            left = await client.post("/api/left", data=f'{{"conversation_id": "{CONVERSATION}"}}')
            return lines, left.status
        finally:
            await client.close()
    lines, left = asyncio.run(run())
    assert lines[:3] == [b"retry: 3000\n", b"\n", b"event: state\n"]
    assert b'"subject": "case:3"' in lines[3]
    assert left == 204 and set(chats.left) == {CONVERSATION} and chats.seen[0] == (CONVERSATION, None)


def test_event_streams_from_one_address_are_limited():
    async def run():
        limiter = RateLimiter(per_minute=1, burst=1)
        client = TestClient(TestServer(make_app(conversations=FakeRasa(), chats=FakeChats(), limiter=limiter)))
        await client.start_server()
        try:
            first = await client.get(f"/api/events?conversation_id={CONVERSATION}")
            second = await client.get(f"/api/events?conversation_id={CONVERSATION[:-1]}0")
            first.close()
            return first.status, second.status
        finally:
            await client.close()
    assert asyncio.run(run()) == (200, 429)
