"""Rasa's Slack channel for customers (a shared channel or direct messages), with what
a billing assistant needs on top:

- the customer is identified by their Slack profile email (users.info), turned into a
  short-lived customer token, the same path the web app uses; the profile's time zone
  goes along, so "yesterday" is the customer's yesterday;
- every event is handled once: Slack retries (whatever the reason) carry the same
  event id, which is remembered in the database, so no answer or action repeats;
- the Web API's address is configurable (SLACK_API_URL), for a local stand-in;
- a Slack conversation's id is `slack-` and the user's id, which no other channel accepts
  (bot/core/conversation_ids.py): Slack ids are seen by the whole workspace.

Settings: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CUSTOMER_CHANNEL (a shared
channel; direct messages always work). Without a signing secret every request is
refused.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from http import HTTPStatus
from typing import Any, Optional

from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import response
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.identity import issue_customer_token
from bot.clock import now_utc
from bot.core.conversation_ids import SLACK, slack_conversation
from bot.core.text import clean_text, parse_json
from bot.db.inbound import AlreadyReceived, receive_once
from bot.settings import settings
from channels.turns import CountsTurns, admitted

log = logging.getLogger(__name__)
TOKEN_SECONDS = 600
EMAIL_CACHE_SECONDS = 600


def _api_url() -> str:
    return settings().slack.api_url


class CustomerSlackBot(SlackBot):
    def __init__(self, token: str, slack_channel: Optional[str] = None, thread_id: Optional[str] = None,
                 proxy: Optional[str] = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token=token, base_url=_api_url(), proxy=proxy)


class CustomerSlackInput(CountsTurns, SlackInput):
    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "CustomerSlackInput":
        credentials, slack = credentials or {}, settings().slack
        secret = credentials.get("slack_signing_secret") or slack.signing_secret
        token = credentials.get("slack_token") or slack.bot_token or ""
        if not secret:
            if token:  # half set up; a machine with no Slack at all (`make run`) needs no warning
                log.warning("Slack channel off: SLACK_SIGNING_SECRET is not set, so every request is refused")
            secret = secrets.token_hex(32)  # nobody can sign with it
        return cls(slack_token=token,
                   slack_channel=credentials.get("slack_channel") or slack.customer_channel,
                   slack_signing_secret=secret, conversation_granularity="sender",
                   slack_retry_reason_header="x-slack-retry-reason",
                   slack_retry_number_header="x-slack-retry-num")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._profiles: dict[str, tuple[float, Optional[str], Optional[str]]] = {}

    def blueprint(self, on_new_message) -> Any:
        hook = super().blueprint(on_new_message)

        @hook.middleware("request")
        async def refuse_what_slack_never_sends(request):
            # Rasa's handler assumes Slack's shapes and answers anything else with a 500,
            # which Slack retries. Unsigned requests are left to it: it refuses them.
            if request.method != "POST" or not self.is_request_from_slack_authentic(request):
                return None
            verdict = slack_shape_verdict(request)
            return response.text(verdict[1], status=verdict[0]) if verdict else None

        return hook

    def get_output_channel(self, channel: Optional[str] = None, thread_id: Optional[str] = None) -> SlackBot:
        return CustomerSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy)

    def get_metadata(self, request) -> dict[str, Any]:
        metadata = super().get_metadata(request)
        user, event_id = _user_and_event(request)
        metadata["event_id"] = event_id
        email, zone = self._profile_of(user) if user else (None, None)
        if email:
            metadata["customer_token"] = issue_customer_token(email, ttl_seconds=TOKEN_SECONDS)
        if zone:  # the customer's own day, for the dates they mention ("yesterday")
            metadata["timezone"] = zone
        return metadata

    async def process_message(self, request, on_new_message, text, sender_id, metadata) -> Any:
        event_id = (metadata or {}).get("event_id")
        if event_id:
            try:
                await asyncio.to_thread(receive_once, "slack", event_id, now=now_utc())
            except AlreadyReceived:  # a retry of an event already handled: acknowledge, do nothing
                return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})
        if not sender_id:  # an event naming no user: nobody to answer, and a retry would change nothing
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})
        if not await admitted(sender_id, SLACK):
            return response.text("this conversation belongs to another channel", status=HTTPStatus.FORBIDDEN)
        return await super().process_message(request, on_new_message, clean_text(text) if text else text, sender_id,
                                             metadata)

    def _get_conversation_id(self, sender_id: Optional[str], channel_id: Optional[str],
                             thread_id: Optional[str]) -> Optional[str]:
        conversation_id = super()._get_conversation_id(sender_id, channel_id, thread_id)
        return slack_conversation(conversation_id) if conversation_id else conversation_id

    def _profile_of(self, user: str) -> tuple[Optional[str], Optional[str]]:
        """The Slack profile email and time zone name of a user, cached for a few minutes."""
        cached = self._profiles.get(user)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
        try:
            found = WebClient(token=self.slack_token, base_url=_api_url(), timeout=5).users_info(user=user)
            email, zone = (found.get("user") or {}).get("profile", {}).get("email"), (found.get("user") or {}).get("tz")
        except (SlackClientError, OSError) as exc:
            log.warning("users.info failed for %s: %s", user, exc)
            email, zone = None, None
        self._profiles[user] = (time.monotonic() + EMAIL_CACHE_SECONDS, email.lower() if email else None,
                                zone if isinstance(zone, str) else None)
        return self._profiles[user][1], self._profiles[user][2]


def _user_and_event(request) -> tuple[Optional[str], Optional[str]]:
    """Who sent it, and an id that a retry of the same delivery repeats."""
    if request.headers.get("content-type") == "application/json":
        body = request.json or {}
        return (body.get("event") or {}).get("user"), body.get("event_id")
    try:
        payload = parse_json(request.form["payload"][0])
    except (KeyError, IndexError, ValueError):
        return None, None
    action = (payload.get("actions") or [{}])[0]
    return (payload.get("user") or {}).get("id"), f"{payload.get('trigger_id')}:{action.get('action_ts')}"


TEXT_FIELDS = ("type", "subtype", "text", "user", "channel", "channel_type", "ts", "thread_ts", "bot_id")


def slack_shape_verdict(request) -> Optional[tuple[int, str]]:
    """None for what the channel handles (a message event, a button click); otherwise the
    answer to give: 400 for a body Slack never sends, 200 for an interaction we ignore."""
    content_type = request.headers.get("content-type")
    if content_type == "application/json":
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - Sanic raises its own types for unparsable JSON
            return 400, "the body is not JSON"
        if not isinstance(body, dict):
            return 400, "a Slack event is a JSON object"
        event = body.get("event", {})
        if not isinstance(event, dict) or not _text_fields(event):
            return 400, "event must be an object with text fields"
        if not isinstance(body.get("challenge", ""), str) or not _strings(body.get("authed_users", [])):
            return 400, "challenge and authed_users must be text"
        authorizations = body.get("authorizations", [])
        if not isinstance(authorizations, list) or not all(
                isinstance(a, dict) and isinstance(a.get("user_id", ""), str) for a in authorizations):
            return 400, "authorizations must be objects"
        return None
    if content_type == "application/x-www-form-urlencoded":
        try:
            payload = parse_json(request.form["payload"][0])
        except (KeyError, IndexError, TypeError, ValueError):
            return 400, "an interaction carries a JSON payload"
        if not isinstance(payload, dict) or not isinstance(payload.get("user"), dict) \
                or not isinstance(payload["user"].get("id"), str) \
                or not isinstance(payload.get("message", {}), dict) or not _text_fields(payload.get("message", {})):
            return 400, "an interaction names its user and message"
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return 400, "an interaction lists its actions"
        if actions[0].get("type") != "button" or not isinstance(actions[0].get("value"), str):
            return 200, "only button clicks are answered"  # acknowledged: a retry would change nothing
        return None
    return None


def _text_fields(obj: dict) -> bool:
    return all(obj.get(name) is None or isinstance(obj[name], str) for name in TEXT_FIELDS)


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
