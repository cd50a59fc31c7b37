"""What a customer hears where no emailed code can prove them (issue 28, class 10)."""
from __future__ import annotations

import pytest

from bot.core.proving import address_alone_reply, how_to_prove, typed_address_reply

BRAND, SUPPORT = "GroupTrack CRM", "support@grouptrack.example"


@pytest.mark.parametrize("channel", ["rest", "socketio", None, "email", "slack"])
def test_every_channel_is_told_what_works_there_and_never_offered_a_code(channel):
    said = how_to_prove(channel, brand=BRAND, support_email=SUPPORT)
    assert BRAND in said and SUPPORT in said
    assert "6-digit" not in said and "send you a code" not in said and "send a code" not in said


def test_a_chat_names_the_sign_in_and_the_widget_and_a_mail_names_the_sender_address():
    chat = how_to_prove("rest", brand=BRAND, support_email=SUPPORT)
    assert "Sign in" in chat and "help widget" in chat
    mail = how_to_prove("email", brand=BRAND, support_email=SUPPORT)
    assert "from the address you signed up with" in mail and "widget" not in mail


@pytest.mark.parametrize("text", ["my email is rest.one@convos.example", "it's Ana.B@Example.co.uk.",
                                  "look me up: ana@example.com please"])
def test_a_typed_address_is_said_to_prove_nothing_and_the_way_that_works_follows(text):
    reply = typed_address_reply(text, "Sign in to GroupTrack CRM.")
    assert reply.startswith("Thanks, but an address typed here can't prove it's you")
    assert reply.endswith("Sign in to GroupTrack CRM.")


@pytest.mark.parametrize("text", ["how do I sign in", "at example dot com", "@ me"])
def test_words_without_an_address_are_left_to_the_other_answers(text):
    assert typed_address_reply(text, "Sign in.") is None


@pytest.mark.parametrize("text, alone", [
    ("carla@example.com", True),
    ("my email is carla@example.com", True),
    ("it's carla@example.com.", True),
    ("carla@example.com is my address, can you refund the payment from yesterday?", False),
    ("what plan am I on", False),
])
def test_an_address_typed_out_of_the_blue_is_asked_what_it_is_for(text, alone):
    """A visitor's "carla@example.com" after a fallback was answered with the terms' contact section."""
    reply = address_alone_reply(text)
    assert (reply is not None) == alone
    if alone:
        assert reply.startswith("Thanks. What would you like help with?") and "section" not in reply
