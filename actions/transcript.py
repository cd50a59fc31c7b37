"""What the customer said: their own words, the entities in them and when they wrote
them, read off the tracker."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from rasa_sdk import Tracker

from actions.offer_turns import delivery_of

CODE_SLOT = "identify_code"  # the identification form's question for the one-time code


def customer_words(tracker: Tracker, intents: Iterable[str], limit: int = 3) -> str:
    """What the customer wrote about it (their latest messages of these intents), for agents.
    A message written when the assistant asked for the one-time code is never among them,
    whatever it was read as: it proves the customer's address and is nobody else's to read."""
    wanted, texts, asked_for = set(intents), [], None
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            asked_for = event.get("value")
        elif event.get("event") == "user" and asked_for != CODE_SLOT and (event.get("parse_data") or {}).get(
                "intent", {}).get("name") in wanted:
            texts.append(event.get("text") or "")
    return "\n".join(texts[-limit:])


def latest_customer_event(tracker: Tracker, intents: Iterable[str]) -> dict | None:
    """The customer's latest message of these intents, as a tracker event."""
    wanted = set(intents)
    return next((event for event in reversed(tracker.events) if event.get("event") == "user"
                 and (event.get("parse_data") or {}).get("intent", {}).get("name") in wanted), None)


def entities_of(event: dict | None) -> dict[str, list[str]]:
    """Entity values (as written) in a customer's message."""
    found: dict[str, list[str]] = {}
    for entity in ((event or {}).get("parse_data") or {}).get("entities") or []:
        found.setdefault(entity["entity"], []).append(str(entity.get("value", "")))
    return found


def written_at(event: dict | None, now: datetime) -> tuple[datetime, str | None]:
    """When the customer wrote this message, and their time zone's name when a channel knew
    it: an email's Date header (in the sender's offset, never after the mail arrived),
    else when Rasa received it, else `now`."""
    metadata = (event or {}).get("metadata") or {}
    received = (datetime.fromtimestamp(event["timestamp"], timezone.utc)
                if isinstance((event or {}).get("timestamp"), (int, float)) else now)
    try:
        written = datetime.fromisoformat(str(metadata["written_at"]))
    except (KeyError, ValueError):
        written = received
    if written.tzinfo is None or written > received:
        written = received
    zone = metadata.get("timezone")
    return written, zone if isinstance(zone, str) and zone else None


def said_since_the_message_began(events: list[dict]) -> list[str]:
    """What the assistant has said in answer to the earlier clauses of the latest message, when a
    message's clauses are asked one by one (channels/clauses.py); nothing for a message of one."""
    customer = [i for i, event in enumerate(events) if event.get("event") == "user"]
    delivery = delivery_of(events[customer[-1]]) if customer else None
    if delivery is None:
        return []
    first = next(i for i in customer if delivery_of(events[i]) == delivery)
    return [event.get("text") or "" for event in events[first:] if event.get("event") == "bot"]
