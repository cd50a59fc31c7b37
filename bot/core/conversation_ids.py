"""Conversation ids: each channel has its own, so no channel's endpoints reach another
channel's conversations.

Rasa keeps one tracker per id whatever channel a message came on, and every channel lets its
clients name or learn ids: a REST client chooses its sender, a socket.io client its session,
a Slack user's id is seen by the whole workspace, and an email thread's id is derived from its
first Message-ID, which every recipient of the thread knows. So email and Slack ids start with
their channel's prefix, which no other channel accepts. The web chats (the help widget, which
relays through Rasa's REST channel; REST clients; socket.io) share one shape, so a web id
belongs to the first of them that used it: the conversation's row in the app database says
which (bot/app/chats.py `claim`), and every endpoint checks it.
"""
from __future__ import annotations

WIDGET, REST, SOCKETIO, EMAIL, SLACK = "widget", "rest", "socketio", "email", "slack"
PREFIXES = {EMAIL: "email-", SLACK: "slack-"}


def reserved_for(conversation_id: str) -> str | None:
    """The channel whose prefix the id carries (ids are compared as the tracker store may:
    without regard to case), else None: a web chat's id."""
    lowered = conversation_id.lower()
    return next((space for space, prefix in PREFIXES.items() if lowered.startswith(prefix)), None)


def fits(conversation_id: str, space: str) -> bool:
    """Whether the id has the shape of `space`'s ids."""
    return reserved_for(conversation_id) == (space if space in PREFIXES else None)


def slack_conversation(slack_id: str) -> str:
    """A Slack conversation's id from Slack's (the user's id: one conversation per user)."""
    return PREFIXES[SLACK] + slack_id


def slack_recipient(conversation_id: str) -> str:
    """Whom to write to on Slack for a conversation (ids from before the prefix are the user's own)."""
    return conversation_id.removeprefix(PREFIXES[SLACK])
