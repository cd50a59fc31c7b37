"""Cases for people: opening one when a customer asks for a person, and telling them."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import verified_email
from actions.transcript import customer_words
from bot.app.handoff import request_person
from bot.clock import now_utc
from bot.core.timeutil import human_time, parse_utc

RESPONSE_BY_KIND = {"ticket": "utter_ticket_opened", "handoff": "utter_handoff_opened"}


def tell_about_case(dispatcher: CollectingDispatcher, summary: dict) -> None:
    due = human_time(parse_utc(summary["case_due"]))
    if not summary["case_created"]:
        dispatcher.utter_message(response="utter_case_exists", case_id=summary["case_id"], due=due)
        return
    response = RESPONSE_BY_KIND.get(summary["case_kind"], "utter_case_opened")
    if summary.get("handoff") == "live":
        response = "utter_handoff_live"
    elif summary.get("handoff") == "after_hours":
        response, due = "utter_handoff_after_hours", human_time(parse_utc(summary["next_opening"]))
    dispatcher.utter_message(response=response, case_id=summary["case_id"], due=due)


class ActionHandToPerson(Action):
    """Asking for a person opens (once) a handoff case that waits in the agents' queue."""

    def name(self) -> str:
        return "action_hand_to_person"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        summary = request_person(
            verified_email(tracker), now=now_utc(),
            channel=tracker.get_latest_input_channel(), conversation_id=tracker.sender_id,
            note=customer_words(tracker, _everything_but_small_talk(domain), limit=5))
        tell_about_case(dispatcher, summary)
        return []


def _everything_but_small_talk(domain: dict) -> list[str]:
    small_talk = {"greet", "goodbye", "thank", "affirm", "deny", "request_human"}
    return [intent if isinstance(intent, str) else next(iter(intent))
            for intent in domain.get("intents", []) if intent not in small_talk]
