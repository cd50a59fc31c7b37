"""The support team's Slack channel: new cases announced with a link to the console,
and approve/deny buttons whose clicks (signature checked) decide the case.

Configured by SLACK_BOT_TOKEN and SLACK_CASES_CHANNEL (and SLACK_API_URL for a
stand-in); without them nothing is announced. Clicks need SLACK_SIGNING_SECRET.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from urllib.parse import parse_qs

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier

from bot.core.money import format_amount
from bot.core.text import parse_json
from bot.core.statuses import MONEY_CASES
from bot.settings import settings

log = logging.getLogger(__name__)


def case_message(case: dict, console_url: str) -> dict:
    """chat.postMessage arguments for a new case (pure: easy to check, easy to change)."""
    amount = format_amount(case["proposed_amount"], case["currency"]) if case.get("currency") else None
    who = case.get("customer") or "a visitor who is not identified"
    title = f"New {case['kind']} case #{case['id']}" + (f" ({case['rule']})" if case.get("rule") else "")
    text = f"{title} from {who}" + (f": proposal {amount}" if amount and case["kind"] in MONEY_CASES else "")
    blocks = [{"type": "section", "text": {"type": "mrkdwn",
               "text": f"*{text}*\n<{console_url}/cases/{case['id']}|Open it in the console>"}}]
    if case["kind"] in MONEY_CASES:
        blocks.append({"type": "actions", "block_id": f"case-{case['id']}", "elements": [
            {"type": "button", "action_id": "approve_case", "value": str(case["id"]), "style": "primary",
             "text": {"type": "plain_text", "text": f"Approve {amount}"}},
            {"type": "button", "action_id": "deny_case", "value": str(case["id"]), "style": "danger",
             "text": {"type": "plain_text", "text": "Deny"}}]})
    return {"text": text, "blocks": blocks}


def announce(case: dict) -> bool:
    """Post a new case to the support channel; a Slack failure never breaks the conversation."""
    config = settings()
    if not (config.slack.bot_token and config.slack.cases_channel):
        return False
    client = WebClient(token=config.slack.bot_token, base_url=config.slack.api_url, timeout=5)
    try:
        client.chat_postMessage(channel=config.slack.cases_channel, **case_message(case, config.console_url))
        return True
    except (SlackClientError, OSError) as exc:
        log.warning("could not announce case #%s in Slack: %s", case["id"], exc)
        return False


class ForgedRequest(PermissionError):
    pass


def verified_click(body: bytes, headers, signing_secret: str | None) -> dict:
    """The interaction payload of a correctly signed, recent request, else ForgedRequest."""
    if not signing_secret:
        raise ForgedRequest("Slack interactions are not configured (SLACK_SIGNING_SECRET)")
    verifier = SignatureVerifier(signing_secret)
    if not verifier.is_valid(body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")):
        raise ForgedRequest("bad or expired Slack signature")
    try:
        payload = parse_json(parse_qs(body.decode())["payload"][0])
        action = payload["actions"][0]
        return {"verdict": {"approve_case": "approve", "deny_case": "deny"}[action["action_id"]],
                "case_id": int(action["value"]), "user": payload["user"].get("username") or payload["user"]["id"],
                "response_url": payload.get("response_url")}
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ForgedRequest(f"not a case button click: {exc}") from None


def reply_in_thread(response_url: str | None, text: str) -> None:
    """Replace the announcement's buttons with what happened, so nobody clicks again."""
    if not response_url:
        return
    body = json.dumps({"replace_original": True, "text": text}).encode()
    request = urllib.request.Request(response_url, data=body, headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=5).read()
    except OSError as exc:
        log.warning("could not update the Slack message: %s", exc)

