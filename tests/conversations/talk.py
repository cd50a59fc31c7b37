"""Being the customer on each channel, as the real clients are: the help widget's relay
(`/api/messages`, with the host app's token or as a visitor, and the widget's client key),
whole mails through the email channel's signed Mailgun webhook (replies read from the SMTP
stand-in, answered in the same thread with the reply quoted below), and Rasa's REST channel
as a host app's server calls it (no client key)."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import requests

from bot.app.identity import issue_customer_token
from bot.ops.processes import Stack
from tests.conversations.conversation_set import Conversation
from tests.conversations.stack import EMAIL_SIGNING_KEY, TOKEN_SECRET
from tests.support.e2e_stack import client_key, say
from tests.support.smtp_server import plain_text

FIRST_ADDRESS = ipaddress.IPv4Address("198.18.0.1")  # a benchmarking range: nobody's real address
SUPPORT = "GroupTrack support <support@grouptrack.example>"


@dataclass
class Reply:
    text: str                 # what the assistant said this turn (email: its reply, quoted lines left out)
    buttons: list[dict] = field(default_factory=list)  # [{"title", "payload"}]
    unanswered: int = 0       # email: sentences the channel answered with nothing


class Widget:
    """The help widget: a random conversation id and client key, the customer's own address."""

    def __init__(self, stack: Stack, conversation: Conversation, number: int):
        self.url = f"{stack.urls['widget']}/api/messages"
        self.conversation_id = f"cv-{conversation.id}-{uuid.uuid4().hex[:12]}"
        self.address = str(FIRST_ADDRESS + number)
        self.conversation = conversation

    def send(self, text: str) -> Reply:
        c = self.conversation
        body = {"conversation_id": self.conversation_id, "text": text, "client_key": client_key(self.conversation_id),
                **({"customer_token": issue_customer_token(c.customer, secret=TOKEN_SECRET)}
                   if c.customer and c.signed_in else {}),
                **({"locale": c.locale} if c.locale else {}), **({"timezone": c.timezone} if c.timezone else {})}
        for _attempt in range(20):
            response = requests.post(self.url, json=body, headers={"X-Forwarded-For": self.address}, timeout=120)
            if response.status_code != 429:  # the per-conversation limit: wait as a person would
                break
            time.sleep(3)
        response.raise_for_status()
        replies = response.json()["replies"]
        return Reply("\n".join(r["text"] for r in replies if r.get("text")),
                     [b for r in replies for b in r.get("buttons") or []])


class Rest:
    """A host app's server on Rasa's REST channel: a token when it vouches for the customer,
    and no client key, so no emailed code can ever prove anyone here."""

    def __init__(self, stack: Stack, conversation: Conversation, number: int):
        self.stack, self.conversation = stack, conversation
        self.conversation_id = f"rest-{conversation.id}-{uuid.uuid4().hex[:12]}"

    def send(self, text: str) -> Reply:
        c = self.conversation
        token = issue_customer_token(c.customer, secret=TOKEN_SECRET) if c.customer and c.signed_in else None
        metadata = {**({"locale": c.locale} if c.locale else {}), **({"timezone": c.timezone} if c.timezone else {})}
        replies = say(self.stack, self.conversation_id, text, token, key=None, **metadata)
        return Reply("\n".join(r["text"] for r in replies if r.get("text")),
                     [b for r in replies for b in r.get("buttons") or []])


class Email:
    """One thread: each mail answers the latest reply, quoting it below, as mail clients do.
    Mailgun's SPF verdict passed for an envelope sender at the From domain, the one proof of a
    route's sender bot/email/authentication.py accepts, so a seeded customer is known."""

    def __init__(self, stack: Stack, conversation: Conversation, number: int):
        self.url = f"{stack.urls['rasa']}/webhooks/email/inbound"
        self.mailbox, self.conversation = stack.smtp, conversation
        self.sender = conversation.customer
        self.thread: list[str] = []  # Message-IDs, oldest first
        self.last_reply = None
        self.conversation_id: str | None = None

    def send(self, text: str) -> Reply:
        c, zone = self.conversation, ZoneInfo(self.conversation.timezone or "UTC")
        before = len(self.mailbox.to(self.sender))
        message_id = f"<{uuid.uuid4().hex}@{self.sender.split('@')[1]}>"
        body = text + (self.quoted() if self.last_reply is not None else "")
        timestamp, token = str(int(time.time())), uuid.uuid4().hex
        fields = {"sender": self.sender, "from": f"{self.sender.split('@')[0].title()} <{self.sender}>",
                  "recipient": "support@grouptrack.example",
                  "subject": c.subject if not self.thread else f"Re: {c.subject}", "body-plain": body,
                  "Message-Id": message_id, "Date": format_datetime(datetime.now(zone)),
                  "timestamp": timestamp, "token": token, "X-Mailgun-Spf": "Pass",
                  "signature": hmac.new(EMAIL_SIGNING_KEY.encode(), f"{timestamp}{token}".encode(),
                                        hashlib.sha256).hexdigest()}
        if self.thread:
            fields.update({"References": " ".join(self.thread), "In-Reply-To": self.thread[-1]})
        response = requests.post(self.url, data=fields, timeout=300)
        response.raise_for_status()
        answer = response.json()
        self.conversation_id = answer["conversation_id"]
        self.thread.append(message_id)
        replies = self.mailbox.to(self.sender)[before:]
        for reply in replies:
            self.thread.append(reply["Message-ID"])
            self.last_reply = reply
        words = "\n".join(line for reply in replies for line in plain_text(reply).splitlines()
                          if not line.startswith(">"))  # the customer's own questions, quoted back
        return Reply(words, unanswered=int(answer.get("unanswered") or 0))

    def quoted(self) -> str:
        written = self.last_reply["Date"].datetime if self.last_reply["Date"] else datetime.now(timezone.utc)
        lines = plain_text(self.last_reply).splitlines()
        return (f"\n\nOn {written:%a, %b %d, %Y at %H:%M}, {SUPPORT} wrote:\n"
                + "\n".join(f"> {line}" if line else ">" for line in lines) + "\n")


CLIENTS = {"widget": Widget, "email": Email, "rest": Rest}


def client_for(stack: Stack, conversation: Conversation, number: int) -> Widget | Email | Rest:
    """`number` makes each conversation's network address its own."""
    return CLIENTS[conversation.channel](stack, conversation, number)
