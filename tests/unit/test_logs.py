"""Logs are JSON lines with the conversation id, and hold no card data, tokens or codes."""
from __future__ import annotations

import io
import json
import logging

import pytest

from bot.app.identity import issue_customer_token
from bot.observability.logs import configure, conversation, redact


@pytest.mark.parametrize("text, secret, shown", [
    ("my card is 4242 4242 4242 4242 thanks", "4242 4242 4242 4242", "[card]"),
    ("card 5555-5555-5555-4444", "5555-5555-5555-4444", "[card]"),
    ("the code is 482913", "482913", "[code]"),
    ("GET /conversations/x/tracker?token=abc.def&x=1", "abc.def", "token=[redacted]"),
    ("key sk_test_51Habc123 failed", "sk_test_51Habc123", "[stripe-key]"),
    ("slack xoxb-123-456-abc said", "xoxb-123-456-abc", "[slack-token]"),
    ("whsec_abcdef is the endpoint secret", "whsec_abcdef", "[webhook-secret]"),
])
def test_secrets_are_redacted(text, secret, shown):
    cleaned = redact(text)
    assert secret not in cleaned and shown in cleaned


def test_a_customer_token_never_reaches_the_log():
    token = issue_customer_token("ana@example.com", secret="s" * 32)
    assert token not in redact(f"metadata={{'customer_token': '{token}'}}")


@pytest.mark.parametrize("text", ["refund of 46.55 USD on 2026-11-23", "case #12 for ch_ana_2",
                                  "order 1234567890123 (not a card: fails Luhn)", "took 4900 cents"])
def test_ordinary_text_is_kept(text):
    assert redact(text) == text


def test_each_line_is_json_with_the_conversation_id():
    stream = io.StringIO()
    configure(stream=stream)
    try:
        log = logging.getLogger("grouptrack.test")
        with conversation("widget-7f3a"):
            log.info("customer said %s", "my code is 123456", extra={"rule": "R1"})
        log.warning("outside any conversation")
    finally:
        logging.getLogger().handlers.clear()
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["conversation_id"] == "widget-7f3a" and first["rule"] == "R1" and first["level"] == "info"
    assert first["msg"] == "customer said my code is [code]"
    assert "conversation_id" not in second and second["msg"] == "outside any conversation"
