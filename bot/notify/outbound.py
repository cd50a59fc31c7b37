"""Telling a customer something later (an agent's decision or chat message) on the
channel their conversation came from.

Every message is also appended to the Rasa conversation, so the transcript and the
widget show it, and noted on the conversation's row, which is what open widgets and
console pages watch; an email conversation also gets a reply in its thread, and a web-chat
customer who has left gets a person's answer by email (bot/notify/missed_replies.py).
"""
from __future__ import annotations

import html

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from sqlalchemy.engine import Engine

from bot.clock import now_utc
from bot.core.conversation_ids import slack_recipient
from bot.db import activity
from bot.db.session import unit_of_work
from bot.email.channel import send_in_thread
from bot.notify.rasa_api import ConversationError, RasaConversations
from bot.notify.missed_replies import follow_up_if_away
from bot.settings import load_policy, settings


class CustomerChannels:
    def __init__(self, conversations: RasaConversations, *, email_from: str, brand: str = "GroupTrack CRM",
                 engine: Engine | None = None):
        self.conversations, self.email_from, self.brand, self.engine = conversations, email_from, brand, engine

    def tell(self, *, channel: str | None, conversation_id: str, text: str, sender: str = "support_agent",
             notice: str | None = None) -> None:
        self.conversations.tell(channel=channel, conversation_id=conversation_id, text=text, sender=sender,
                                notice=notice)
        now = now_utc()
        with unit_of_work(self.engine) as session:
            activity.record_told(session, conversation_id, channel=channel, now=now)
        follow_up_if_away(conversation_id, channel=channel, sender=sender, text=text, now=now, brand=self.brand,
                          email_from=self.email_from, engine=self.engine)
        if channel == "slack":
            _tell_on_slack(conversation_id, text)
        if channel == "email":
            try:
                send_in_thread(conversation_id, text, f"<p>{html.escape(text)}</p>", sender=self.email_from)
            except OSError as exc:  # SMTP down: the decision stands, the case records it
                raise ConversationError(f"could not email the customer: {exc}") from exc

    def pause(self, conversation_id: str) -> None:
        self.conversations.pause(conversation_id)

    def resume(self, conversation_id: str) -> None:
        self.conversations.resume(conversation_id)

    def transcript(self, conversation_id: str) -> list[dict]:
        return self.conversations.transcript(conversation_id)

    @classmethod
    def from_env(cls) -> "CustomerChannels":
        policy = load_policy()
        return cls(RasaConversations.from_env(), email_from=settings().email.reply_from or policy.support_email,
                   brand=policy.brand)


def _tell_on_slack(conversation_id: str, text: str) -> None:
    """A Slack customer's conversation is named after their user id: write to them directly."""
    slack = settings().slack
    try:
        WebClient(token=slack.bot_token or "", timeout=10, base_url=slack.api_url).chat_postMessage(
            channel=slack_recipient(conversation_id), text=text)
    except (SlackClientError, OSError) as exc:
        raise ConversationError(f"could not message the customer on Slack: {exc}") from exc
