"""What the customer said: their own words and the entities in them, read off the tracker."""
from __future__ import annotations

from typing import Iterable

from rasa_sdk import Tracker


def customer_words(tracker: Tracker, intents: Iterable[str], limit: int = 3) -> str:
    """What the customer wrote about it (their latest messages of these intents), for agents."""
    wanted, texts = set(intents), []
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get(
                "intent", {}).get("name") in wanted:
            texts.append(event.get("text") or "")
            if len(texts) == limit:
                break
    return "\n".join(reversed(texts))


def customer_entities(tracker: Tracker, intents: Iterable[str]) -> dict[str, list[str]]:
    """Entity values (as written) in the customer's latest message of these intents."""
    wanted = set(intents)
    for event in reversed(tracker.events):
        parse = event.get("parse_data") or {}
        if event.get("event") == "user" and parse.get("intent", {}).get("name") in wanted:
            found: dict[str, list[str]] = {}
            for entity in parse.get("entities") or []:
                found.setdefault(entity["entity"], []).append(str(entity.get("value", "")))
            return found
    return {}
