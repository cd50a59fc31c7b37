"""Customers on Slack, end to end: signed events into Rasa's Slack channel, the customer
identified by their Slack profile email, answers posted to a stand-in for Slack's Web
API, Slack's retries answered once, and wrongly signed events refused."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import requests

from tests.e2e.test_console import charge_of
from tests.support.e2e_stack import SLACK_SIGNING_SECRET, stripe_refunds

pytestmark = pytest.mark.e2e


def event(live, event_id: str, user: str, text: str, *, secret: str = SLACK_SIGNING_SECRET,
          retry: int | None = None) -> requests.Response:
    body = json.dumps({"type": "event_callback", "event_id": event_id, "event": {
        "type": "message", "channel_type": "im", "channel": f"D-{user}", "user": user, "text": text,
        "ts": f"{time.time():.6f}"}})
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature}
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"})
    return requests.post(f"{live.urls['rasa']}/webhooks/slack/webhook", data=body, headers=headers, timeout=30)


def replies(slack, channel: str, count: int, timeout: float = 60) -> list[dict]:
    """The bot answers in a background task: wait until `count` messages reached the channel."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posted = slack.posted_to(channel)
        if len(posted) >= count:
            return posted
        time.sleep(0.2)
    raise AssertionError(f"only {len(slack.posted_to(channel))} of {count} messages reached {channel}: {slack.posted}")


def words(message: dict) -> str:
    texts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        texts.append(((block.get("text") or {}).get("text")) or "")
        texts += [e["text"]["text"] for e in block.get("elements") or [] if "text" in e]
    return " ".join(texts)


def test_a_slack_customer_is_refunded_once_even_when_slack_retries(live, slack):
    slack.users["U-VAL"] = "val@example.com"
    assert event(live, "Ev-val-1", "U-VAL", "I cancelled a day late, can I get a refund?").status_code == 200
    offer = replies(slack, "D-U-VAL", 2)
    assert "$46.55" in " ".join(words(m) for m in offer), offer
    assert "Yes, cancel and refund" in words(offer[-1])

    retried = event(live, "Ev-val-1", "U-VAL", "I cancelled a day late, can I get a refund?", retry=1)
    assert retried.status_code == 200
    assert event(live, "Ev-val-2", "U-VAL", "yes").status_code == 200
    event(live, "Ev-val-2", "U-VAL", "yes", retry=2)
    done = replies(slack, "D-U-VAL", 4)
    time.sleep(2)  # room for a wrongly repeated answer to show up
    assert len(slack.posted_to("D-U-VAL")) == 4, [words(m) for m in slack.posted_to("D-U-VAL")]
    refunds = stripe_refunds(live, charge_of(live, "ch_val_1").stripe_id)
    said = " ".join(words(m) for m in done)  # the amount refunded, never the processor's id
    assert len(refunds) == 1 and f"${refunds[0].amount / 100:,.2f}" in said and refunds[0].id not in said, said


def test_a_slack_user_without_an_account_email_learns_nothing(live, slack):
    slack.users["U-NOBODY"] = "nobody@elsewhere.example"
    event(live, "Ev-nobody-1", "U-NOBODY", "what plan am I on?")
    [answer] = replies(slack, "D-U-NOBODY", 1)
    assert "USD" not in words(answer) and "pro-monthly" not in words(answer), words(answer)


def test_two_questions_in_one_slack_message_get_an_answer_each_in_order(live, slack):
    slack.users["U-TWO"] = "two.questions@elsewhere.example"
    event(live, "Ev-two-1", "U-TWO", "how much is the refund fee, and what happens if a card payment fails?")
    answers = " ".join(words(m) for m in replies(slack, "D-U-TWO", 2))
    assert "5% refund processing fee" in answers and "retried" in answers, answers
    assert answers.index("5% refund processing fee") < answers.index("retried")


def test_wrongly_signed_events_are_refused(live, slack):
    before = len(slack.posted)
    forged = event(live, "Ev-forged", "U-VAL", "refund me", secret="not-the-secret")
    assert forged.status_code == 400
    time.sleep(1)
    assert len(slack.posted) == before
