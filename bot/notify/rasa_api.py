"""Rasa's conversation API, for what happens outside a customer's own request.

An agent's decision or chat message is appended to the conversation
(`POST /conversations/{id}/tracker/events`), where the widget and the history show
it; the console reads the transcript from the tracker; a live handoff pauses and
resumes the bot. Email and Slack customers also get the message on their channel
(bot/notify/outbound.py).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request

from bot.core.clauses import CLAUSE_OF
from bot.settings import settings


# The widget's relay says so with each message it passes to Rasa's REST channel, whose
# direct clients choose their sender ids freely: so the channel keeps the widget's
# conversations and theirs apart (bot/core/conversation_ids.py).
RELAY_HEADER = "X-Widget-Relay"


def relay_proof(auth_token: str) -> str:
    """What the relay shows: derived from Rasa's API token, which both sides hold, so the
    token itself never travels in a header that a proxy might log."""
    return hmac.new(auth_token.encode(), b"help widget relay", hashlib.sha256).hexdigest()


class ConversationError(RuntimeError):
    pass


class RasaConversations:
    def __init__(self, rasa_url: str, auth_token: str, timeout: float = 10.0):
        self.rasa_url, self.auth_token, self.timeout = rasa_url.rstrip("/"), auth_token, timeout

    @classmethod
    def from_env(cls) -> "RasaConversations":
        config = settings()
        return cls(config.rasa_url, config.rasa_auth_token)

    def send(self, conversation_id: str, text: str, metadata: dict, *, client_address: str | None = None
             ) -> list[dict]:
        """A customer's message through the REST channel, as the widget's; the assistant's
        replies. A relay names the customer's address, which the channel's per-address limit counts."""
        headers = {"Content-Type": "application/json", **self.relay_headers()}
        if client_address:
            headers["X-Forwarded-For"] = client_address
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=json.dumps({"sender": conversation_id, "message": text, "metadata": metadata}).encode(),
            method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout * 6) as response:
                return json.loads(response.read() or b"[]")
        except (OSError, ValueError) as exc:
            raise ConversationError(f"conversation {conversation_id}: {exc}") from exc

    def relay_headers(self) -> dict[str, str]:
        return {RELAY_HEADER: relay_proof(self.auth_token)}

    def tell(self, *, channel: str | None, conversation_id: str, text: str,
             sender: str = "support_agent", notice: str | None = None) -> None:
        """`notice` marks a person joining ("joined") or leaving ("left") the chat."""
        metadata = {"from": sender, **({"notice": notice} if notice else {})}
        self._append(conversation_id, {"event": "bot", "text": text, "timestamp": time.time(),
                                       "metadata": metadata})

    def pause(self, conversation_id: str) -> None:
        self._append(conversation_id, {"event": "pause", "timestamp": time.time()})

    def resume(self, conversation_id: str) -> None:
        self._append(conversation_id, {"event": "resume", "timestamp": time.time()})

    def transcript(self, conversation_id: str) -> list[dict]:
        """[{"who": "customer"|"assistant"|"agent", "text", "at"}] in order; an agent's line
        also names the agent's username (`agent`), a joined or left notice says so (`notice`),
        and a customer's line written when the assistant asked for the emailed code says that
        it may hold one (`code`), which the team does not see."""
        tracker = self._request("GET", conversation_id, "tracker", None)
        lines = []
        offered: dict[str, str] = {}  # payload -> title of the buttons last shown
        asked_for = None  # the slot the identification form asked for last
        whole = None  # the message the latest clauses were asked in (channels/clauses.py)
        for event in tracker.get("events") or []:
            if event.get("event") == "slot" and event.get("name") == "requested_slot":
                asked_for = event.get("value")
            elif event.get("event") == "user":
                metadata = event.get("metadata") or {}
                asked_in = (metadata.get("delivery"), metadata[CLAUSE_OF]) if metadata.get(CLAUSE_OF) else None
                if asked_in is not None and asked_in == whole:
                    continue  # the same message, answered clause by clause: shown once, as written
                whole = asked_in
                text = str(metadata.get(CLAUSE_OF) or event.get("text") or "")
                # A pressed button arrives as its payload ("/affirm"); show what the customer saw.
                lines.append({"who": "customer", "text": offered.get(text, text), "at": event.get("timestamp"),
                              "code": asked_for == "identify_code"})
                offered = {}
            elif event.get("event") == "bot" and event.get("text"):
                metadata = event.get("metadata") or {}
                sender = metadata.get("from", "")
                agent = sender.startswith("agent:") or sender == "support_agent"
                buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                           for b in (event.get("data") or {}).get("buttons") or []]
                offered.update({b["payload"]: b["title"] for b in buttons if b["payload"] and b["title"]})
                lines.append({"who": "agent" if agent else "assistant", "text": event["text"],
                              "at": event.get("timestamp"), "buttons": buttons,
                              "agent": sender.removeprefix("agent:") if sender.startswith("agent:") else None,
                              "notice": metadata.get("notice")})
        return lines

    def _append(self, conversation_id: str, event: dict) -> None:
        self._request("POST", conversation_id, "tracker/events", event)

    def _request(self, method: str, conversation_id: str, path: str, body: dict | None) -> dict:
        url = (f"{self.rasa_url}/conversations/{urllib.parse.quote(conversation_id, safe='')}"
               f"/{path}?{urllib.parse.urlencode({'token': self.auth_token})}")
        request = urllib.request.Request(
            url, data=json.dumps(body).encode() if body is not None else None, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except (OSError, ValueError) as exc:
            raise ConversationError(f"conversation {conversation_id}: {exc}") from exc
