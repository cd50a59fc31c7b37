"""Telling a customer something later (an agent's decision or chat message) on the
channel their conversation came from.

Every message is also appended to the Rasa conversation, so the transcript and the
widget show it; an email conversation also gets a reply in its thread.
"""
from __future__ import annotations

import html

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.email.channel import send_in_thread
from bot.notify.conversations import ConversationError, RasaConversations
from bot.settings import load_policy, settings


class CustomerChannels:
    def __init__(self, conversations: RasaConversations, *, email_from: str):
        self.conversations, self.email_from = conversations, email_from

    def tell(self, *, channel: str | None, conversation_id: str, text: str, sender: str = "support_agent") -> None:
        self.conversations.tell(channel=channel, conversation_id=conversation_id, text=text, sender=sender)
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
        return cls(RasaConversations.from_env(),
                   email_from=settings().email.reply_from or load_policy().support_email)


def _tell_on_slack(conversation_id: str, text: str) -> None:
    """A Slack customer's conversation id is their user id: write to them directly."""
    slack = settings().slack
    try:
        WebClient(token=slack.bot_token or "", timeout=10, base_url=slack.api_url).chat_postMessage(
            channel=conversation_id, text=text)
    except (SlackClientError, OSError) as exc:
        raise ConversationError(f"could not message the customer on Slack: {exc}") from exc
