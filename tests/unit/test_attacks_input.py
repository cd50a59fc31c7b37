"""Attacks on what strangers and agents type (issue 14, items 4, 6, 7 and 9), without
servers: text cleaned where it enters, agents' amounts read strictly, the widget's demo
page, CORS, oversized tokens and history floods, and the REST channel's per-address limit."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bot.core.money import AmountError, agent_locale, amount_input, parse_amount_input
from bot.core.text import clean_text
from bot.web.limits import RateLimiter
from bot.web.widget.app import DemoCustomer, demo_page, make_app
from tests.support.chat_records import FakeChats, channel_records  # noqa: F401 - the fixture
from tests.unit.test_widget_api import CONVERSATION, FakeRasa

# --- text is cleaned where it enters --------------------------------------------------------


@pytest.mark.parametrize("raw, clean", [
    ("refund \ud800 please", "refund \ufffd please"), ("\udfff\ud83d", "\ufffd\ufffd"),
    ("a\x00b\x07c\x1b[31md\x7f\x85", "abc[31md"), ("one\r\ntwo\rthree\n\tfour", "one\ntwo\nthree\n\tfour"),
    ("émoji 😀 ok", "émoji 😀 ok"), ("", ""),
])
def test_lone_surrogates_and_control_characters_are_cleaned(raw, clean):
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # always writable


# --- agents' amounts ------------------------------------------------------------------------

@pytest.mark.parametrize("typed, currency, locale, minor", [
    ("12.50", "usd", "en-US", 1250), ("$12.50", "usd", "en-US", 1250), ("USD 1,234.50", "usd", "en-US", 123450),
    ("12,50", "eur", "de-DE", 1250), ("1.234,50 €", "eur", "de-DE", 123450), ("1 234,50", "eur", "fr-FR", 123450),
    ("5000", "jpy", "en-US", 5000), ("5,000", "jpy", "en-US", 5000), ("12.345", "kwd", "en-US", 12345),
])
def test_an_amount_written_the_agents_way_is_read_exactly(typed, currency, locale, minor):
    assert parse_amount_input(typed, currency, agent_locale(locale)) == minor


@pytest.mark.parametrize("typed, currency, locale", [
    ("USD 4-9", "usd", "en-US"), ("4-9", "usd", "en-US"), ("-100", "usd", "en-US"), ("+5", "usd", "en-US"),
    ("−5", "usd", "en-US"), ("1e3", "usd", "en-US"), ("NaN", "usd", "en-US"), ("Infinity", "usd", "en-US"),
    ("1_000", "usd", "en-US"), ("\u0661\u0662", "usd", "en-US"), ("12.505", "usd", "en-US"), ("0", "usd", "en-US"),
    ("0.00", "usd", "en-US"), ("", "usd", "en-US"), ("12.", "usd", "en-US"), (".5", "usd", "en-US"),
    ("12,50", "usd", "en-US"), ("12.50", "eur", "de-DE"), ("1,2,3", "usd", "en-US"), ("12.5", "jpy", "en-US"),
    ("49 USD!", "usd", "en-US"), ("about 49", "usd", "en-US"), ("10 20", "usd", "en-US"),
    ("99999999999999999", "usd", "en-US"), ("EUR 12.50", "usd", "en-US"),
])
def test_signs_ranges_exponents_and_stray_characters_are_refused(typed, currency, locale):
    with pytest.raises(AmountError):
        parse_amount_input(typed, currency, agent_locale(locale))


def test_the_console_prefills_amounts_the_agents_way_and_unknown_locales_fall_back():
    assert amount_input(3084, "usd", agent_locale("de-DE")) == "30,84"
    assert amount_input(123450, "usd", agent_locale("en")) == "1,234.50"
    assert str(agent_locale("xx-YY")) == str(agent_locale("*")) == str(agent_locale("")) == "en_US"


# --- the widget server ------------------------------------------------------------------------

def widget(rasa, requests, **options):
    async def run():
        client = TestClient(TestServer(make_app(conversations=rasa, chats=FakeChats(), **options)))
        await client.start_server()
        try:
            results = []
            for method, path, body, headers in requests:
                response = await client.request(method, path, json=body, headers=headers or {})
                results.append((response.status, response.headers, await response.text()))
            return results
        finally:
            await client.close()
    return asyncio.run(run())


def test_the_demo_page_signs_in_only_the_demo_customers_and_only_on_this_machine():
    options = dict(demo=True, demo_customers=(DemoCustomer("ana@example.com"),))
    [(ana, _h, page), (stranger, _h2, _), (relayed, _h3, _)] = widget(FakeRasa(), [
        ("GET", "/demo?customer=ana@example.com", None, None),
        ("GET", "/demo?customer=anyone@example.org", None, None),
        ("GET", "/demo?customer=ana@example.com", None, {"X-Forwarded-For": "203.0.113.5"})], **options)
    assert ana == 200 and "data-customer-token=" in page
    assert (stranger, relayed) == (404, 404)
    app = make_app(conversations=FakeRasa(), chats=FakeChats(), **options)
    request = make_mocked_request("GET", "/demo?customer=ana@example.com", app=app,
                                  transport=SimpleNamespace(get_extra_info=lambda name, default=None:
                                                            ("192.0.2.7", 40000) if name == "peername" else default))
    with pytest.raises(Exception) as refused:
        asyncio.run(demo_page(request))
    assert getattr(refused.value, "status", None) == 404


def test_the_widget_api_answers_only_its_own_and_the_allowed_origins():
    message = {"conversation_id": CONVERSATION, "text": "hi"}
    rasa = FakeRasa()
    results = widget(rasa, [
        ("POST", "/api/messages", message, {"Origin": "https://evil.example"}),
        ("OPTIONS", "/api/messages", None, {"Origin": "https://evil.example"}),
        ("GET", f"/api/history?conversation_id={CONVERSATION}", None, {"Origin": "https://evil.example"}),
        ("POST", "/api/messages", message, {"Origin": "https://www.grouptrack.example"}),
        ("OPTIONS", "/api/messages", None, {"Origin": "https://www.grouptrack.example"}),
        ("POST", "/api/messages", message, None),  # no Origin: not a browser's cross-site call
    ], allowed_origins=frozenset({"https://www.grouptrack.example"}))
    assert [status for status, _h, _b in results] == [403, 403, 403, 200, 204, 200]
    assert all(h.get("Access-Control-Allow-Origin") != "*" for _s, h, _b in results)
    assert all("Access-Control-Allow-Origin" not in h for _s, h, _b in results[:3] + results[5:])
    assert results[3][1]["Access-Control-Allow-Origin"] == "https://www.grouptrack.example"
    assert len(rasa.sent) == 2


def test_an_oversized_or_odd_token_is_a_400_and_nothing_is_relayed():
    rasa = FakeRasa()
    results = widget(rasa, [("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "hi",
                                                        "customer_token": token}, None)
                            for token in ("x" * 10_000, 42, ["jwt"])])
    assert [status for status, _h, _b in results] == [400, 400, 400] and rasa.sent == []
    assert "customer_token" in results[0][2]


def test_history_reads_are_rate_limited_and_messages_are_cleaned_and_name_the_address():
    rasa = FakeRasa()
    results = widget(rasa, [("POST", "/api/messages", {"conversation_id": CONVERSATION, "text": "hi \ud800\x1b"},
                             None)] + [("GET", f"/api/history?conversation_id={CONVERSATION}", None, None)] * 6,
                     history_limiter=RateLimiter(per_minute=1, burst=4))
    assert [status for status, _h, _b in results] == [200, 200, 200, 200, 200, 429, 429]
    assert rasa.sent == [(CONVERSATION, "hi \ufffd", {})] and rasa.addresses == ["127.0.0.1"]


# --- the REST channel ------------------------------------------------------------------------

def rest_request(sender: str, ip: str, forwarded: str | None = None, message: str = "hi"):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return SimpleNamespace(json={"sender": sender, "message": message}, ip=ip, headers=headers)


@pytest.mark.usefixtures("channel_records")
def test_the_rest_channel_limits_each_address_however_many_sender_ids_it_makes_up():
    from channels.rest import GuardedRestInput, RefusedMessage
    channel = GuardedRestInput(address_per_minute=1, address_burst=5)

    def send_all(requests):
        async def run():
            outcomes = []
            for request in requests:
                try:
                    outcomes.append(await channel._extract_sender(request))
                except RefusedMessage as refused:
                    outcomes.append(refused.status_code)
            return outcomes
        return asyncio.run(run())
    outcomes = send_all([rest_request(f"id-{n}", "203.0.113.9") for n in range(8)])
    assert outcomes[:5] == [f"id-{n}" for n in range(5)] and outcomes[5:] == [429] * 3
    # Through a relay on this machine (the widget, nginx) the customer's own address counts ...
    assert send_all([rest_request(f"r-{n}", "127.0.0.1", "198.51.100.4") for n in range(7)]).count(429) == 2
    # ... while a caller on this machine relaying no one is not an address to limit.
    assert 429 not in send_all([rest_request(f"l-{n}", "127.0.0.1") for n in range(7)])
    assert channel._extract_message(rest_request("x", "127.0.0.1", message="a\ud800\x00b")) == "a\ufffdb"


# --- JSON nested thousands deep (issue 26, item 11) --------------------------------------------

DEEP = "[" * 7000 + "]" * 7000


def test_json_nested_thousands_deep_to_any_widget_post_is_a_400_and_nothing_is_relayed():
    async def run():
        rasa = FakeRasa()
        client = TestClient(TestServer(make_app(conversations=rasa, chats=FakeChats())))
        await client.start_server()
        try:
            statuses = []
            for path in ("/api/messages", "/api/left", "/api/rating", "/api/copy"):
                response = await client.post(path, data='{"conversation_id": "%s", "text": %s}' % (CONVERSATION, DEEP),
                                             headers={"Content-Type": "application/json"})
                statuses.append(response.status)
            return statuses, rasa.sent
        finally:
            await client.close()
    statuses, sent = asyncio.run(run())
    assert statuses == [400] * 4 and sent == []


def test_socketio_metadata_nested_thousands_deep_is_refused_with_the_reason():
    from channels.rest import RefusedMessage
    from channels.socketio import GuardedSocketIOInput
    socket = GuardedSocketIOInput.from_credentials({"session_persistence": True})
    with pytest.raises(RefusedMessage) as refused:
        socket.checked({"message": "hi", "session_id": CONVERSATION, "metadata": '{"a": %s}' % DEEP})
    assert refused.value.status_code == 400


def test_a_slack_interaction_nested_thousands_deep_is_a_400():
    from channels.slack import slack_shape_verdict
    request = SimpleNamespace(headers={"content-type": "application/x-www-form-urlencoded"},
                              form={"payload": ['{"user": %s}' % DEEP]})
    assert slack_shape_verdict(request)[0] == 400


@pytest.mark.parametrize("payload", ['{"actions": %s}' % DEEP, "[]", '{"actions": 7}'],
                         ids=["nested deep", "a list", "actions not a list"])
def test_a_signed_case_click_nested_thousands_deep_or_of_another_shape_is_refused_plainly(payload):
    import time
    import urllib.parse

    from slack_sdk.signature import SignatureVerifier

    from bot.notify.slack_cases import ForgedRequest, verified_click
    body = urllib.parse.urlencode({"payload": payload}).encode()
    timestamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": SignatureVerifier("secret").generate_signature(timestamp=timestamp, body=body)}
    with pytest.raises(ForgedRequest):
        verified_click(body, headers, "secret")
