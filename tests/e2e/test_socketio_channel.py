"""The socket.io channel takes only what a widget sends, at the REST channel's rates: in
process against its handlers, and live with a real socket.io client against Rasa."""
from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app.identity import issue_customer_token
from bot.core.text import clean_text
from bot.web.limits import MAX_MESSAGE, METADATA
from channels.socketio import GuardedSocketIOInput
from tests.support.chat_records import channel_records  # noqa: F401 - the fixture
from tests.support.e2e_stack import SECRET, socket_say

SESSION = "0f3c2b1a9d8e7f6a5b4c3d2e1f0a9b8c"
pytestmark = pytest.mark.usefixtures("channel_records")  # the channel in this process: its records in memory


def channel(**credentials):
    """The channel's socket.io handlers, with what reaches the bot and what the socket is told."""
    socket = GuardedSocketIOInput.from_credentials({"session_persistence": True, **credentials})
    delivered, emitted = [], []

    async def on_new_message(message):
        delivered.append(message)

    socket.blueprint(on_new_message)

    async def emit(event, data, room=None, **_):
        emitted.append((event, data, room))

    async def enter_room(sid, room, namespace=None):
        emitted.append(("entered room", room, sid))

    socket.sio.emit, socket.sio.enter_room = emit, enter_room
    handlers = socket.sio.handlers["/"]

    def send(data, sid="sid-1"):
        asyncio.run(handlers["user_uttered"](sid, data))

    def ask_session(data, sid="sid-1"):
        asyncio.run(handlers["session_request"](sid, data))

    return send, ask_session, delivered, emitted


@pytest.mark.parametrize("data, reason", [
    ("hi", "send {"), ([], "send {"), ({"message": 7, "session_id": SESSION}, "non-empty string"),
    ({"message": "x" * (MAX_MESSAGE + 1), "session_id": SESSION}, f"the limit is {MAX_MESSAGE}"),
    ({"message": "hi", "session_id": SESSION, "metadata": "{not json"}, "not JSON"),
    ({"message": "hi", "session_id": SESSION, "metadata": ["customer_token"]}, "metadata may only hold"),
    ({"message": "hi", "session_id": SESSION, "metadata": {"customer_token": "not a jwt!"}}, "a JWT"),
    ({"message": "hi"}, "session_id"), ({"message": "hi", "session_id": "U012AB3CD"}, "session_id"),
    ({"message": "hi", "session_id": SESSION + "\n"}, "session_id"),
])
def test_anything_but_what_a_widget_sends_is_answered_with_the_reason_and_goes_no_further(data, reason):
    send, _, delivered, emitted = channel()
    send(data)
    assert delivered == []
    [(event, reply, room)] = emitted
    assert (event, room) == ("bot_uttered", "sid-1")
    assert set(reply) == {"text"} and reply["text"].startswith("Not sent: ") and reason in reply["text"]


def test_what_a_widget_sends_reaches_the_bot_with_only_the_token():
    send, _, delivered, emitted = channel()
    send({"message": "refund please", "session_id": SESSION, "metadata": json.dumps({"customer_token": "a.b.c"}),
          "input_channel": "slack", "extra": "x" * 100})
    [message] = delivered
    assert (message.text, message.sender_id, message.input_channel, message.metadata) == (
        "refund please", SESSION, "socketio", {"customer_token": "a.b.c"})
    assert emitted == []


def test_a_session_and_a_connection_are_each_slowed_down():
    send, _, delivered, emitted = channel(per_minute=1, burst=2)
    for _ in range(3):
        send({"message": "hi", "session_id": SESSION})
    assert len(delivered) == 2 and "too many messages" in emitted[-1][1]["text"]
    other = "1" * 32  # the same connection hopping to a fresh session id is still counted
    send({"message": "hi", "session_id": other})
    assert len(delivered) == 2
    send({"message": "hi", "session_id": other}, sid="sid-2")
    assert len(delivered) == 3


def test_a_session_id_a_client_asks_for_must_look_like_a_widget_s():
    _, ask_session, _, emitted = channel()
    ask_session({"session_id": SESSION})
    ask_session({"session_id": "U012AB3CD"})  # a Slack user's conversation: a new session instead
    ask_session(None)
    confirmed = [data for event, data, _ in emitted if event == "session_confirm"]
    assert confirmed[0] == SESSION
    assert [room for event, room, _ in emitted if event == "entered room"] == confirmed  # to hear its replies
    assert all(len(new) == 32 and new != "U012AB3CD" for new in confirmed[1:]) and len(confirmed) == 3


def test_a_live_socket_conversation_answers_and_refuses(live):
    token = issue_customer_token("ana@example.com", secret=SECRET)
    answer, refusal = socket_say(live.urls["rasa"], ["how long is the free trial?", "x" * (MAX_MESSAGE + 1)], token)
    assert "trial" in answer["text"].lower()
    assert set(refusal) == {"text"} and str(MAX_MESSAGE) in refusal["text"]

def test_two_questions_reach_the_bot_whole_when_no_server_reads_them_apart():
    # .ci/run, 2026-12-07: the fuzz test below sent a long message with two questions to the channel on
    # its own (no Rasa server, so no agent to read each question with) and it raised instead of delivering.
    send, _, delivered, emitted = channel(per_minute=10**6, burst=10**6)
    send({"message": "how much is the refund fee? and can I pay yearly?", "session_id": SESSION})
    assert [m.text for m in delivered] == ["how much is the refund fee? and can I pay yearly?"] and emitted == []

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=15), inner, max_size=3),
    max_leaves=10)
socket_events = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "message": st.one_of(st.text(max_size=30), st.text(min_size=MAX_MESSAGE - 1, max_size=MAX_MESSAGE + 1),
                         json_values),
    "session_id": st.one_of(st.just(SESSION), st.text(max_size=70), json_values),
    "metadata": st.one_of(st.fixed_dictionaries({"customer_token": st.text(max_size=20)}), st.text(max_size=20),
                          json_values)}))


def test_two_questions_in_one_socket_message_get_an_answer_each_in_order(live):
    fee, failed = socket_say(live.urls["rasa"], ["how much is the refund fee, and what happens if a card payment "
                                                 "fails?"], None, replies_each=2)
    assert "5% refund processing fee" in fee["text"] and "retried" in failed["text"], (fee, failed)


def says_nothing(data) -> bool:
    message = data.get("message") if isinstance(data, dict) else "not a dict"
    return message is None or (isinstance(message, str) and not clean_text(message).strip())


def widget_would_send(data) -> bool:
    if not isinstance(data, dict):
        return False
    message, metadata = data.get("message"), data.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return False
    return (isinstance(message, str) and len(message) <= MAX_MESSAGE and data.get("session_id") == SESSION
            and (metadata is None or (isinstance(metadata, dict) and all(  # keys it does not use are dropped
                value in (None, "") or (isinstance(value, str) and METADATA[key][0].fullmatch(value))
                for key, value in metadata.items() if key in METADATA))))


@settings(max_examples=200, deadline=None, database=None)
@given(data=socket_events)
def test_any_event_is_delivered_as_sent_ignored_or_refused_with_a_reason_never_an_error(data):
    send, _, delivered, emitted = channel(per_minute=10**6, burst=10**6)
    send(data)
    if says_nothing(data):
        assert delivered == [] and emitted == []
    elif widget_would_send(data):
        [message] = delivered  # Rasa's UserMessage strips the text
        assert (message.text, message.sender_id) == (clean_text(data["message"]).strip(), SESSION) and emitted == []
    else:
        [(event, reply, _)] = emitted
        assert delivered == [] and event == "bot_uttered" and set(reply) == {"text"}
        assert reply["text"].startswith("Not sent: ")
