"""`bot chat`: talk to a running assistant from a terminal, over the REST channel.

`rasa shell` starts a Rasa server of its own (on 0.0.0.0) instead of talking to the one
`bot run` started, and sends no token, so it can never be a signed-in customer. This is a
client of the running server, as the help widget is one:
- `bot chat --as EMAIL` is that customer: each message carries a fresh customer token, as
  the product's web app would issue it (signed with CUSTOMER_TOKEN_SECRET);
- plain `bot chat` is a visitor: the assistant asks for an email address and sends a code
  (without SMTP_HOST, to var/outbox/), which the conversation's own client key binds to
  this terminal;
- the assistant's buttons are numbered choices: typing the number sends the button.
"""
from __future__ import annotations

import json
import secrets
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Callable, TextIO

from bot.app.identity import issue_customer_token
from bot.settings import settings

TOKEN_SECONDS = 300  # each message gets a fresh token: a long chat never runs into an expired one
QUIT = {"/quit", "/exit"}


class AssistantUnreachable(RuntimeError):
    pass


@dataclass
class Conversation:
    """One conversation with the REST channel: its id, the client's secret key, who it is."""
    url: str
    email: str | None = None
    sender: str = field(default_factory=lambda: str(uuid.uuid4()))  # the shape the widget makes
    client_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    timeout: float = 120.0

    def send(self, text: str) -> list[dict]:
        """The assistant's replies, or one plain reply saying why the channel refused the message."""
        metadata = {"client_key": self.client_key}
        if self.email:
            metadata["customer_token"] = issue_customer_token(self.email, ttl_seconds=TOKEN_SECONDS)
        request = urllib.request.Request(
            f"{self.url.rstrip('/')}/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
            data=json.dumps({"sender": self.sender, "message": text, "metadata": metadata}).encode())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"[]")
        except urllib.error.HTTPError as refused:
            return [{"text": f"(not sent: {_reason(refused)})"}]
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AssistantUnreachable(f"cannot reach the assistant at {self.url} ({reason}); is `make run` "
                                       "running, and on that port (--url)?") from None


def _reason(refused: urllib.error.HTTPError) -> str:
    try:
        return json.loads(refused.read()).get("message") or refused.reason
    except (ValueError, AttributeError):
        return f"HTTP {refused.code}"


def show(replies: list[dict], out: TextIO) -> list[dict]:
    """Print the replies; return the buttons of the last one that has any, numbered from 1."""
    choices: list[dict] = []
    for reply in replies:
        if reply.get("text"):
            print(f"assistant: {reply['text']}", file=out)
        if reply.get("image"):
            print(f"assistant: (image) {reply['image']}", file=out)
        if reply.get("buttons"):
            choices = reply["buttons"]
            for number, button in enumerate(choices, start=1):
                print(f"  {number}. {button.get('title', button.get('payload', ''))}", file=out)
    return choices


def picked(line: str, choices: list[dict]) -> dict | None:
    """The button a number typed after a list of choices stands for."""
    if line.isdigit() and 1 <= int(line) <= len(choices):
        return choices[int(line) - 1]
    return None


def converse(conversation: Conversation, read: Callable[[str], str], out: TextIO) -> None:
    """Prompt, send, show, until end of input or /quit."""
    choices: list[dict] = []
    while True:
        try:
            line = read("you> ").strip()
        except EOFError:
            print(file=out)
            return
        if line in QUIT:
            return
        if not line:
            continue
        button = picked(line, choices)
        if button is not None:
            print(f"  (you chose: {button.get('title', '')})", file=out)
            line = button.get("payload") or button.get("title", "")
        out.flush()
        choices = show(conversation.send(line), out)  # a number stands for this turn's choices only
        out.flush()


def typed_line(prompt: str) -> str:
    """`input`, echoing lines that come from a pipe so the transcript reads as a conversation."""
    line = input(prompt)
    if not sys.stdin.isatty():
        print(line, flush=True)
    return line


def chat(args) -> int:
    """`bot chat [--as EMAIL] [--url URL]`."""
    conversation = Conversation(url=args.url or settings().rasa_url, email=args.email)
    who = f"signed in as {args.email}" if args.email else "a visitor (the assistant will ask for your email)"
    print(f"Talking to the assistant at {conversation.url}, {who}.\n"
          "A number picks one of the numbered choices; /quit or Ctrl-D ends.", flush=True)
    try:
        converse(conversation, typed_line, sys.stdout)
    except AssistantUnreachable as exc:
        print(f"bot chat: {exc}", file=sys.stderr)
        return 1
    return 0
