"""Cases for people: opening one (or joining the conversation's open one) and telling the customer."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.customer_action import CustomerAction
from actions.identity import account_of, reader_of, verified_email
from actions.transcript import customer_words
from actions.unmatched import language_of
from bot.app.handoff import OPENED_FOR_IT_KEY, request_person
from bot.app.results import CaseSummary
from bot.clock import now_utc
from bot.core.facts import SAYS_CHARGED_TWICE, recent_payments_answer
from bot.core.formatting import Reader, deadline
from bot.core.languages import handed_over_in
from bot.core.timeutil import parse_utc

RESPONSE_BY_KIND = {"ticket": "utter_ticket_opened", "handoff": "utter_handoff_opened"}
SMALL_TALK = {"greet", "goodbye", "thank", "affirm", "deny", "request_human"}


def tell_about_case(dispatcher: CollectingDispatcher, summary: CaseSummary, reader: Reader) -> None:
    now = now_utc()
    due = deadline(parse_utc(summary.case_due), reader, now=now)
    if summary.handoff == "live":
        response = "utter_handoff_live" if summary.case_created else "utter_handoff_live_again"
    elif summary.handoff == "after_hours":
        response, due = "utter_handoff_after_hours", deadline(parse_utc(summary.next_opening), reader, now=now)
    elif not summary.case_created:
        response = "utter_case_exists"
    else:
        response = RESPONSE_BY_KIND.get(summary.case_kind, "utter_case_opened")
    dispatcher.utter_message(response=response, case_id=summary.case_id, due=due)


def case_topic(summary: CaseSummary) -> dict:
    """The `topic` slot (plain JSON) for a follow-up about this case."""
    return {"kind": "case", "case_id": summary.case_id, "case_due": summary.case_due,
            "handoff": summary.handoff, "next_opening": summary.next_opening}


class ActionHandToPerson(CustomerAction):
    """Asking for a person joins the conversation's open case, or opens one, for the agents' queue."""

    restates_offer = False  # the customer chose a person over the offer

    def name(self) -> str:
        return "action_hand_to_person"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        email = verified_email(tracker)
        own = account_of(email) if SAYS_CHARGED_TWICE.search(tracker.latest_message.get("text") or "") else None
        if own is not None:  # a billing error is a person's to check; what the account shows is said first
            dispatcher.utter_message(text=recent_payments_answer(own.account.charges, reader_of(tracker), now_utc()))
        summary = request_person(
            email, now=now_utc(), channel=tracker.get_latest_input_channel(),
            conversation_id=tracker.sender_id, note=customer_words(tracker, _everything_but_small_talk(domain),
                                                                   limit=5))
        if tracker.latest_message.get(OPENED_FOR_IT_KEY):  # opened by the mail channel a moment ago
            summary = replace(summary, case_created=True)
        theirs = handed_over_in(language_of(tracker))
        if theirs:  # asked in another language: that a person answers, in it first
            dispatcher.utter_message(text=theirs)
        tell_about_case(dispatcher, summary, reader_of(tracker))
        topic = tracker.get_slot("topic") or {}
        if not summary.case_created and topic.get("case_id") == summary.case_id:
            return []  # joined the case the conversation is about: follow-ups are still about it (a ticket's rule)
        return [SlotSet("topic", case_topic(summary))]


def _everything_but_small_talk(domain: dict) -> list[str]:
    return [intent if isinstance(intent, str) else next(iter(intent))
            for intent in domain.get("intents", []) if intent not in SMALL_TALK]
