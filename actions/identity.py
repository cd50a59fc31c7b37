"""Who the customer is, proved by the message being answered, never by the conversation id.

The proof is on the latest message itself: the host app's token, or the client key of
a client that passed an emailed code in this conversation on this channel (the widget
keeps a random key in its storage and sends it with every message). Email and Slack
put a short-lived token on each message from a sender they verified. An earlier
message's proof lends nothing to this one, so whoever knows a conversation id learns
nothing and moves nothing. An expired token is said so plainly, and a code passed since
still identifies the customer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.app import verification
from bot.app.identity import InvalidToken, verify_customer_token
from bot.app.own_facts import OwnAccount, own_account_or_none
from bot.clock import now_utc
from bot.core.formatting import Reader
from bot.core.proving import how_to_prove
from bot.settings import load_policy

CLIENT_KEY = re.compile(r"[A-Za-z0-9_-]{20,128}")


@dataclass(frozen=True)
class Proof:
    email: str | None
    token_expired: bool = False  # a token came and had run out: tell the customer to sign in again
    token_refused: bool = False  # a token came and is not one of ours
    code_possible: bool = True   # the message carries a client key, to which an emailed code could be bound


def message_metadata(tracker: Tracker) -> dict:
    """The metadata of the message being answered (the latest customer message)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def client_of(tracker: Tracker) -> verification.Client | None:
    metadata = message_metadata(tracker)
    key, address = metadata.get("client_key"), metadata.get("client_address")
    if not isinstance(key, str) or not CLIENT_KEY.fullmatch(key):
        return None
    return verification.Client(tracker.sender_id, tracker.get_latest_input_channel(), key,
                               address if isinstance(address, str) else None)


def reader_of(tracker: Tracker) -> Reader:
    metadata = message_metadata(tracker)
    locale, zone = metadata.get("locale"), metadata.get("timezone")
    return Reader(locale=locale if isinstance(locale, str) else Reader.locale,
                  timezone=zone if isinstance(zone, str) else Reader.timezone)


def prove(tracker: Tracker) -> Proof:
    """Checked again on every call that reveals data or moves money."""
    expired = refused = False
    token = message_metadata(tracker).get("customer_token")
    if token:
        try:
            return Proof(verify_customer_token(token))
        except InvalidToken as problem:
            expired, refused = problem.expired, not problem.expired
    client = client_of(tracker)
    email = verification.verified_email(client, now=now_utc()) if client else None
    return Proof(email, token_expired=expired and email is None, token_refused=refused and email is None,
                 code_possible=client is not None)


def verified_email(tracker: Tracker) -> str | None:
    return prove(tracker).email


def signed_in_account(tracker: Tracker) -> OwnAccount | None:
    """The account of the customer proven on this message; None for a visitor or an address without one."""
    return account_of(prove(tracker).email)


def account_of(email: str | None) -> OwnAccount | None:
    """signed_in_account for a caller that needs the proven address as well, so the message is proven once."""
    return own_account_or_none(email) if email else None


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def answer_when_identified(dispatcher: CollectingDispatcher, tracker: Tracker, answer: Callable[[str], list],
                           remember: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """`answer(email)` for a proven customer; otherwise remember the request (and the
    `remember` slot events) and let the rules start identify_form; action_resume_request
    answers it afterwards."""
    proof = prove(tracker)
    if proof.email is not None:
        return [SlotSet("needs_identity", False)] + answer(proof.email)
    return ask_for_proof(dispatcher, tracker, proof, latest_intent(tracker)) + (
        list(remember) if proof.code_possible else [])


def ask_for_proof(dispatcher: CollectingDispatcher, tracker: Tracker, proof: Proof,
                  request: str | None) -> list[dict[str, Any]]:
    """Remember `request` for after the emailed code (identify_form, then action_resume_request).
    A sign-in that expired or isn't ours is said first, so the customer knows why they are asked.
    Where no code could prove anyone (the message carries no client key), none is offered: the
    customer hears what works on this channel instead, and no form starts (`proof.code_possible`)."""
    if proof.token_expired:
        dispatcher.utter_message(response="utter_sign_in_expired")
    elif proof.token_refused:
        dispatcher.utter_message(response="utter_sign_in_not_recognised")
    if not proof.code_possible:
        policy = load_policy()
        how = how_to_prove(tracker.get_latest_input_channel(), brand=policy.brand, support_email=policy.support_email)
        dispatcher.utter_message(text=how)
        return [SlotSet("needs_identity", False), SlotSet("topic", {"kind": "sign_in", "how": how})]
    return [SlotSet("needs_identity", True), SlotSet("pending_request", request)]


def identify_then(dispatcher: CollectingDispatcher, tracker: Tracker, proof: Proof,
                  request: str | None) -> list[dict[str, Any]]:
    """Ask for proof, remembering `request`, and start the code form now from whichever action asks
    (no dialogue rule needed): ask_for_proof, then identify_form_after."""
    return ask_for_proof(dispatcher, tracker, proof, request) + identify_form_after(proof)


def identify_form_after(proof: Proof) -> list[dict[str, Any]]:
    """The code form, next, where a code can prove this client (see ask_for_proof)."""
    return [FollowupAction("identify_form")] if proof.code_possible else []
