"""`bot chat` against a stand-in REST channel: what it sends (a token per message when signed
in, the same conversation and client key throughout), how it shows buttons, and what it
says when the channel refuses a message or nobody answers. The live test is
tests/e2e/test_chat_cli.py."""
from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from bot.ops.chat import AssistantUnreachable, Conversation, converse
from bot.ops.processes import free_port
from bot.settings import settings

OFFER = [{"text": "I can refund $46.55 once your subscription is cancelled. Shall I?"},
         {"text": "Choose one:", "buttons": [{"title": "Yes, cancel and refund", "payload": "/affirm{\"offer\":\"7\"}"},
                                             {"title": "No, keep my subscription", "payload": "/deny"}]}]


class StandIn:
    """A REST channel that records each body and answers from a script (status, replies)."""

    def __init__(self, answers):
        self.bodies, answers = [], list(answers)
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                assert self.path == "/webhooks/rest/webhook"
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status, replies = answers.pop(0)
                payload = json.dumps(replies if status == 200 else {"status": status, "message": replies}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in(request):
    server = StandIn(request.param)
    yield server
    server.close()


def typed(*lines: str):
    """`input` for a person typing these lines, then Ctrl-D."""
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)
    return read


@pytest.mark.parametrize("stand_in", [[(200, OFFER), (200, [{"text": "Done: refunded."}])]], indirect=True)
def test_a_signed_in_customer_sees_numbered_choices_and_a_number_sends_that_button(stand_in):
    out = io.StringIO()
    converse(Conversation(stand_in.url, email="ana@example.com"), typed("I cancelled a day late", "1"), out)
    shown = out.getvalue()
    assert "assistant: I can refund $46.55" in shown
    assert "  1. Yes, cancel and refund\n  2. No, keep my subscription\n" in shown
    assert "(you chose: Yes, cancel and refund)" in shown and "assistant: Done: refunded." in shown
    first, second = stand_in.bodies
    assert (first["message"], second["message"]) == ("I cancelled a day late", '/affirm{"offer":"7"}')
    assert first["sender"] == second["sender"] and first["metadata"]["client_key"] == second["metadata"]["client_key"]
    for body in (first, second):  # proof on each message, as the host app gives it
        claims = jwt.decode(body["metadata"]["customer_token"], settings().customer_token_secret, algorithms=["HS256"])
        assert claims["email"] == "ana@example.com"


@pytest.mark.parametrize("stand_in", [[(200, OFFER), (200, [{"text": "Which plan?"}]),
                                       (200, [{"text": "Sorry?"}])]], indirect=True)
def test_a_visitor_sends_no_token_and_a_number_without_choices_is_just_text(stand_in):
    out = io.StringIO()
    converse(Conversation(stand_in.url), typed("refund please", "", "  ", "what plans are there", "2"), out)
    messages = [body["message"] for body in stand_in.bodies]
    assert messages == ["refund please", "what plans are there", "2"]  # blank lines are not sent
    assert all("customer_token" not in body["metadata"] for body in stand_in.bodies)


@pytest.mark.parametrize("stand_in", [[(413, "message is 2500 characters; the limit is 2000")]], indirect=True)
def test_a_refused_message_is_said_in_the_channels_words(stand_in):
    out = io.StringIO()
    converse(Conversation(stand_in.url), typed("x" * 2500), out)
    assert "assistant: (not sent: message is 2500 characters; the limit is 2000)" in out.getvalue()


def test_no_assistant_at_the_address_is_one_clear_error():
    with pytest.raises(AssistantUnreachable, match="cannot reach the assistant at http://127.0.0.1:.*make run"):
        converse(Conversation(f"http://127.0.0.1:{free_port()}"), typed("hello"), io.StringIO())


@pytest.mark.parametrize("stand_in", [[]], indirect=True)
def test_quit_ends_without_sending(stand_in):
    converse(Conversation(stand_in.url), typed("/quit", "hello"), io.StringIO())
    assert stand_in.bodies == []
