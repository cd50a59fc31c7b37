"""The socket.io channel with what botfront's rasa-webchat 1.x sends, and the origins it
accepts connections from, in process against its handlers (the browser test is
tests/e2e/test_webchat_browser.py)."""
from __future__ import annotations

import asyncio

import pytest

from channels.socketio import GuardedSocketIOInput
from tests.e2e.test_socketio_channel import SESSION, channel
from tests.support.chat_records import channel_records  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("channel_records")  # the channel in this process: its records in memory

TOKEN = "aaa.bbb.ccc"


def test_a_signed_in_webchat_message_reaches_the_bot_with_its_token_and_without_keys_it_does_not_use():
    send, _, delivered, emitted = channel()
    # rasa-webchat's README: customData: {language: "en"}; the host page adds the token beside it.
    send({"message": "what plan am I on?", "customData": {"language": "en", "customer_token": TOKEN},
          "session_id": SESSION})
    [message] = delivered
    assert (message.text, message.sender_id, message.metadata) == ("what plan am I on?", SESSION,
                                                                   {"customer_token": TOKEN})
    assert emitted == []


def test_the_configured_metadata_key_comes_before_webchats():
    send, _, delivered, _ = channel()
    send({"message": "hi", "metadata": {"customer_token": TOKEN}, "customData": {"customer_token": "x.y.z"},
          "session_id": SESSION})
    assert delivered[0].metadata == {"customer_token": TOKEN}


def test_unknown_keys_are_dropped_also_from_metadata_sent_as_json_text():
    send, _, delivered, emitted = channel()
    send({"message": "hi", "metadata": '{"language": "en", "page": "/pricing", "locale": "en-GB"}',
          "session_id": SESSION})
    assert delivered[0].metadata == {"locale": "en-GB"} and emitted == []


@pytest.mark.parametrize("opening", [
    {"customData": {"language": "en"}, "session_id": SESSION},  # rasa-webchat opening its panel
    {"message": None, "session_id": SESSION}, {"message": "", "session_id": SESSION},
    {"message": " \n\t ", "session_id": SESSION},
])
def test_a_message_with_no_words_is_ignored_not_answered(opening):
    send, _, delivered, emitted = channel()
    send(opening)
    assert delivered == [] and emitted == []


def test_a_refusal_is_a_plain_text_reply_a_widget_shows():
    send, _, delivered, emitted = channel()
    send({"message": "hi", "customData": {"customer_token": "not a token!"}, "session_id": SESSION})
    [(event, reply, room)] = emitted
    # rasa-webchat shows a reply only if its one key is "text" (or text with buttons).
    assert (event, room, list(reply)) == ("bot_uttered", "sid-1", ["text"])
    assert reply["text"] == "Not sent: customer_token must be a JWT." and delivered == []


def connect_with(origin: str | None, host: str = "rasa.grouptrack.example:5005", allowed: str = "",
                 monkeypatch=None) -> object:
    """What Rasa's connect handler, behind the channel's, answers a connection with these headers."""
    monkeypatch.setenv("RASA_CORS_ORIGINS", allowed)
    socket = GuardedSocketIOInput.from_credentials({"session_persistence": True})

    async def on_new_message(message):
        pass

    socket.blueprint(on_new_message)
    environ = {"HTTP_HOST": host, **({"HTTP_ORIGIN": origin} if origin else {})}
    return asyncio.run(socket.sio.handlers["/"]["connect"]("sid-1", environ, None))


@pytest.mark.parametrize("origin, allowed", [
    ("https://www.grouptrack.example", "https://www.grouptrack.example,https://app.grouptrack.example"),
    ("https://app.grouptrack.example", "https://www.grouptrack.example,https://app.grouptrack.example"),
    ("https://rasa.grouptrack.example:5005", ""),  # a page of the server's own host
    (None, ""),  # not a browser: a server, an app, `bot chat`
    ("https://anyone.example", "*"),  # what Rasa's own CORS does with '*'
])
def test_a_connection_from_an_allowed_origin_is_accepted(origin, allowed, monkeypatch):
    assert connect_with(origin, allowed=allowed, monkeypatch=monkeypatch) is True


@pytest.mark.parametrize("origin, allowed", [
    ("https://evil.example", ""),
    ("https://evil.example", "https://www.grouptrack.example"),
    ("https://www.grouptrack.example.evil.example", "https://www.grouptrack.example"),
    ("http://www.grouptrack.example", "https://www.grouptrack.example"),  # another scheme, another origin
    ("null", "https://www.grouptrack.example"),  # a sandboxed frame or a file
    ("https://rasa.grouptrack.example:8443", ""),  # the same host name on another port
])
def test_a_connection_from_any_other_origin_is_refused(origin, allowed, monkeypatch):
    from socketio.exceptions import ConnectionRefusedError as Refused  # python-socketio's, not the builtin
    with pytest.raises(Refused, match="may not use the assistant"):
        connect_with(origin, allowed=allowed, monkeypatch=monkeypatch)
