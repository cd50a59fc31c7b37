"""Two questions in one chat message, through the help widget's relay and Rasa's REST channel
as `make run` starts them (channels/clauses.py): each gets its answer, the history shows the
message once as written, and of two requests one is taken, its offer answerable by a yes."""
from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.db.session import unit_of_work
from tests.support.e2e_stack import SECRET, client_key, mirror

pytestmark = pytest.mark.e2e


class WidgetChat:
    def __init__(self, live, customer: str | None = None):
        self.url, self.id, self.customer = live.urls["widget"], f"two-{uuid.uuid4()}", customer

    def send(self, text: str) -> list[dict]:
        body = {"conversation_id": self.id, "text": text, "client_key": client_key(self.id),
                **({"customer_token": issue_customer_token(self.customer, secret=SECRET)} if self.customer else {})}
        response = requests.post(f"{self.url}/api/messages", json=body, timeout=120)
        assert response.status_code == 200, response.text
        return response.json()["replies"]

    def history(self) -> list[dict]:
        history = requests.get(f"{self.url}/api/history", params={"conversation_id": self.id}, timeout=30)
        return history.json()["messages"]


def test_two_questions_in_one_message_get_both_answers_and_the_history_shows_it_once(live):
    chat = WidgetChat(live)
    asked = "how much is the refund fee, and what happens if a card payment fails?"
    replies = [r["text"] for r in chat.send(asked)]
    said = " ".join(replies)
    assert "5% refund processing fee" in said and "retried" in said, replies
    assert said.index("5% refund processing fee") < said.index("retried")  # in the order asked
    lines = chat.history()
    assert [line["text"] for line in lines if line["who"] == "customer"] == [asked]
    assert [line["text"] for line in lines if line["who"] == "assistant"] == replies


def test_of_two_requests_one_is_taken_and_its_offer_answered_by_a_yes(live):
    chat = WidgetChat(live, "max@example.com")
    replies = chat.send("cancel my subscription, and switch me to the yearly plan")
    texts = [r["text"] for r in replies]
    assert any("ask me about changing your plan" in text for text in texts), texts
    # The offer is the last message, so the widget shows its buttons; no plan change is offered.
    assert any(b["title"].lower().startswith("yes") for b in replies[-1]["buttons"]), replies
    assert not any("yearly" in b["title"].lower() for r in replies for b in r["buttons"]), replies
    chat.send("yes")
    engine = mirror(live)
    with unit_of_work(engine) as session:
        subscription = session.execute(select(models.Subscription).join(models.Subscription.customer).where(
            models.Customer.email == "max@example.com")).scalar_one()
        assert subscription.cancel_at_period_end and subscription.plan == "pro-monthly"
    engine.dispose()
