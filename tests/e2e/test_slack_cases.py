"""The support channel in Slack: new cases announced, and signed button clicks deciding
them once; forged, stale and replayed clicks change nothing."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse

import pytest
import requests

from bot.notify.slack_cases import ForgedRequest, case_message, verified_click
from tests.e2e.test_console import charge_of, open_r2_case
from tests.support.e2e_stack import SLACK_SIGNING_SECRET, stripe_refunds

SECRET = "unit-signing-secret"


def signed(body: str, secret: str, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def click_body(action_id: str, case_id: int, user: str = "sam", response_url: str | None = None) -> str:
    payload = {"type": "block_actions", "user": {"id": "U1", "username": user}, "response_url": response_url,
               "actions": [{"action_id": action_id, "value": str(case_id)}]}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def test_a_money_case_is_announced_with_buttons_and_a_ticket_with_a_link():
    refund = case_message({"id": 7, "kind": "refund", "rule": "R2", "proposed_amount": 3084, "currency": "usd",
                           "customer": "ben@example.com"}, "https://console.example")
    assert refund["text"] == "New refund case #7 (R2) from ben@example.com: proposal 30.84 USD"
    assert "<https://console.example/cases/7|Open it in the console>" in refund["blocks"][0]["text"]["text"]
    assert [(b["action_id"], b["value"]) for b in refund["blocks"][1]["elements"]] == [
        ("approve_case", "7"), ("deny_case", "7")]
    ticket = case_message({"id": 8, "kind": "handoff", "rule": None, "proposed_amount": 0, "currency": None,
                           "customer": None}, "https://console.example")
    assert len(ticket["blocks"]) == 1 and "not identified" in ticket["text"]


def test_only_recent_correctly_signed_clicks_are_read():
    body = click_body("approve_case", 7)
    assert verified_click(body.encode(), signed(body, SECRET), SECRET)["verdict"] == "approve"
    for headers in (signed(body, "another-secret"), signed(body, SECRET, int(time.time()) - 600), {}):
        with pytest.raises(ForgedRequest):
            verified_click(body.encode(), headers, SECRET)
    with pytest.raises(ForgedRequest, match="not configured"):
        verified_click(body.encode(), signed(body, SECRET), None)
    odd = urllib.parse.urlencode({"payload": json.dumps({"actions": [{"action_id": "drop_tables", "value": "1"}]})})
    with pytest.raises(ForgedRequest, match="not a case button"):
        verified_click(odd.encode(), signed(odd, SECRET), SECRET)


@pytest.mark.e2e
def test_an_announced_case_is_approved_from_slack_once(live, slack):
    case = open_r2_case(live, "pia@example.com", "announced-pia")
    [announcement] = [p for p in slack.posted if f"case #{case.id} " in p.get("text", "")]
    assert announcement["channel"] == "C-support" and "pia@example.com" in announcement["text"]
    url = f"{live.urls['console']}/slack/interactions"
    body = click_body("approve_case", case.id, response_url=f"{slack.url}/response/pia")

    forged = requests.post(url, data=body, headers=signed(body, "not-the-secret"), timeout=10)
    stale = requests.post(url, data=body, headers=signed(body, SLACK_SIGNING_SECRET, int(time.time()) - 400),
                          timeout=10)
    assert (forged.status_code, stale.status_code) == (401, 401)
    assert stripe_refunds(live, charge_of(live, "ch_pia_1").stripe_id) == []

    headers = signed(body, SLACK_SIGNING_SECRET)
    first = requests.post(url, data=body, headers=headers, timeout=60)
    replay = requests.post(url, data=body, headers=headers, timeout=60)  # Slack retries the same request
    assert (first.status_code, replay.status_code) == (200, 200)
    refunds = stripe_refunds(live, charge_of(live, "ch_pia_1").stripe_id)
    assert [r.amount for r in refunds] == [case.proposed_amount]
    assert any(f"Case #{case.id}: approved by sam" in r.get("text", "") for r in slack.responses), slack.responses


@pytest.mark.e2e
def test_a_case_denied_from_slack_moves_nothing(live, slack):
    case = open_r2_case(live, "quinn@example.com", "announced-quinn")
    body = click_body("deny_case", case.id, user="kai")
    assert requests.post(f"{live.urls['console']}/slack/interactions", data=body,
                         headers=signed(body, SLACK_SIGNING_SECRET), timeout=60).status_code == 200
    assert stripe_refunds(live, charge_of(live, "ch_quinn_1").stripe_id) == []
