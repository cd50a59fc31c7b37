"""The transcript read from Rasa's tracker, as the widget history and the console show it."""
from __future__ import annotations

from bot.core.text import hide_codes
from bot.notify.rasa_api import RasaConversations


class RecordedTracker(RasaConversations):
    def __init__(self, events):
        super().__init__("http://rasa.invalid", "token")
        self.events = events

    def _request(self, method, conversation_id, path, body):
        return {"events": self.events}


def test_a_pressed_button_reads_as_its_title_and_agents_are_told_apart():
    buttons = [{"title": "Yes, cancel and refund", "payload": "/affirm"},
               {"title": "No, keep my subscription", "payload": "/deny"}]
    tracker = RecordedTracker([
        {"event": "user", "text": "refund please", "timestamp": 1},
        {"event": "bot", "text": "Shall I cancel and refund?", "data": {"buttons": buttons}, "timestamp": 2},
        {"event": "user", "text": "/affirm", "timestamp": 3},
        {"event": "bot", "text": "Refunded.", "timestamp": 4},
        {"event": "user", "text": "/affirm", "timestamp": 5},  # typed, with no buttons on show
        {"event": "bot", "text": "Hello, Sam here.", "metadata": {"from": "agent:sam"}, "timestamp": 6},
    ])
    lines = tracker.transcript("c-1")
    assert [(line["who"], line["text"]) for line in lines] == [
        ("customer", "refund please"), ("assistant", "Shall I cancel and refund?"),
        ("customer", "Yes, cancel and refund"), ("assistant", "Refunded."),
        ("customer", "/affirm"), ("agent", "Hello, Sam here.")]
    assert lines[1]["buttons"] == buttons


def test_what_the_customer_writes_when_asked_for_the_code_is_marked_and_the_code_blanked():
    tracker = RecordedTracker([
        {"event": "user", "text": "what plan am I on?", "timestamp": 1},
        {"event": "slot", "name": "requested_slot", "value": "identify_email"},
        {"event": "user", "text": "ana@example.com", "timestamp": 2},
        {"event": "slot", "name": "requested_slot", "value": "identify_code"},
        {"event": "user", "text": "it's 482 913", "timestamp": 3},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "user", "text": "my invoice 123456 was wrong", "timestamp": 4},
    ])
    lines = tracker.transcript("c-1")
    assert [line["code"] for line in lines] == [False, False, True, False]
    assert hide_codes(lines[2]["text"]) == "it's \u2022\u2022\u2022\u2022\u2022\u2022"
    assert hide_codes("482913, or 482-913") == "\u2022" * 6 + ", or " + "\u2022" * 6
    assert hide_codes("call 0123456789") == "call 0123456789"  # a longer number is not a code


def test_a_message_answered_clause_by_clause_is_shown_once_as_written():
    """channels/clauses.py sends "fee, and yearly?" as two messages: the customer wrote one."""
    asked = "how much is the fee, and what happens if a payment fails?"
    clause = {"delivery": "m-1", "clause_of": asked}
    tracker = RecordedTracker([
        {"event": "user", "text": "how much is the fee", "metadata": clause, "timestamp": 1},
        {"event": "bot", "text": "5% of the amount refunded.", "timestamp": 2},
        {"event": "user", "text": "what happens if a payment fails?", "metadata": clause, "timestamp": 3},
        {"event": "bot", "text": "We retry it.", "timestamp": 4},
        {"event": "user", "text": "how much is the fee", "timestamp": 5},  # asked again, on its own
        {"event": "user", "text": "how much is the fee", "metadata": {**clause, "delivery": "m-2"}, "timestamp": 6},
    ])
    assert [(line["who"], line["text"]) for line in tracker.transcript("c-1")] == [
        ("customer", asked), ("assistant", "5% of the amount refunded."), ("assistant", "We retry it."),
        ("customer", "how much is the fee"), ("customer", asked)]
