"""The chat channels' wrapper that asks a message's questions one by one (channels/clauses.py),
around a stand-in for Rasa's handler and model: what reaches the dialogue, with which metadata
and reading, and what the conversation's history keeps."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, ConversationPaused, SlotSet

from bot.core.clauses import CLAUSE_OF
from bot.settings import ROOT
from channels.clauses import clause_by_clause

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
READINGS = {"how much is the refund fee": ("ask_refund_fee", 0.96), "can i pay yearly?": ("nlu_fallback", 0.5),
            "what happens if a payment fails?": ("ask_failed_payment", 0.99),
            "cancel my subscription": ("cancel_subscription", 0.95),
            "switch me to the yearly plan": ("change_plan", 0.99), "thanks": ("thank", 0.95)}


class Processor:
    def __init__(self, store: InMemoryTrackerStore):
        self.store = store

    async def fetch_tracker_and_update_session(self, conversation_id, output_channel=None, metadata=None):
        return await self.store.get_or_create_tracker(conversation_id)

    async def save_tracker(self, tracker):
        await self.store.save(tracker)


class Agent:
    """Rasa's agent as far as the wrapper uses it: the model's reading, the stores."""

    def __init__(self):
        self.tracker_store = InMemoryTrackerStore(DOMAIN)
        self.lock_store = InMemoryLockStore()
        self.processor = Processor(self.tracker_store)
        self.read: list[str] = []

    async def parse_message(self, text):
        self.read.append(text)
        name, confidence = READINGS[text]
        return {"text": text, "intent": {"name": name, "confidence": confidence},
                "intent_ranking": [{"name": name, "confidence": confidence}], "entities": []}

    def given(self, *events) -> None:
        tracker = asyncio.run(self.processor.fetch_tracker_and_update_session("c-1"))
        for event in events:
            tracker.update(event)
        asyncio.run(self.tracker_store.save(tracker))


@pytest.fixture
def agent():
    return Agent()


def send(agent: Agent, text: str) -> tuple[list[UserMessage], list[dict]]:
    """What reaches the dialogue when the customer sends `text`, and what they are told."""
    reached, output = [], CollectingOutputChannel()

    async def dialogue(message: UserMessage):
        reached.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"answer to {message.text}")

    asyncio.run(clause_by_clause(dialogue, lambda: agent)(
        UserMessage(text, output, "c-1", input_channel="rest", metadata={"customer_token": "t"})))
    return reached, output.messages


def test_two_questions_are_two_messages_of_one_delivery_read_once(agent):
    message = "how much is the refund fee, and what happens if a payment fails?"
    reached, said = send(agent, message)
    assert [m.text for m in reached] == ["how much is the refund fee", "what happens if a payment fails?"]
    assert agent.read == ["how much is the refund fee", "what happens if a payment fails?"]  # not again by Rasa
    assert [m.parse_data["intent"]["name"] for m in reached] == ["ask_refund_fee", "ask_failed_payment"]
    deliveries = {m.metadata["delivery"] for m in reached}
    assert len(deliveries) == 1 and None not in deliveries
    assert all(m.metadata[CLAUSE_OF] == message and m.metadata["customer_token"] == "t" for m in reached)
    assert [s["text"] for s in said] == [f"answer to {m.text}" for m in reached]


@pytest.mark.parametrize("text", ["how much is the refund fee", "how much is the refund fee, and can i pay yearly?"])
def test_one_question_or_a_part_the_model_cannot_read_goes_as_written(agent, text):
    reached, _ = send(agent, text)
    assert [(m.text, m.parse_data) for m in reached] == [(text, None)]
    assert CLAUSE_OF not in reached[0].metadata


@pytest.mark.parametrize("waiting", [
    [SlotSet("offer", "tok-1")],  # the customer may be answering an offer: restated after the answer
    [ActiveLoop("identify_form")],  # the assistant asked for an email address or a code
    [ConversationPaused()],  # a person from the team is in the chat
])
def test_a_message_answering_the_assistant_or_for_a_person_goes_as_written(agent, waiting):
    agent.given(*waiting)
    message = "how much is the refund fee, and what happens if a payment fails?"
    reached, _ = send(agent, message)
    assert [m.text for m in reached] == [message]


def test_one_request_is_taken_after_the_questions_and_the_next_is_left_for_later(agent):
    reached, said = send(agent, "cancel my subscription, and switch me to the yearly plan. Also what happens "
                                "if a payment fails?")
    assert [m.text for m in reached] == ["what happens if a payment fails?", "cancel my subscription"]
    texts = [s["text"] for s in said]
    line = "I'll take one request at a time: ask me about changing your plan once we're done with this one."
    # The line comes before the request taken: its offer is the last thing said, buttons and all.
    assert texts == ["answer to what happens if a payment fails?", line, "answer to cancel my subscription"]
    history = asyncio.run(agent.tracker_store.retrieve("c-1")).events
    assert [e.text for e in history if isinstance(e, BotUttered)] == [line]


def test_thanks_before_a_question_is_left_out(agent):
    reached, _ = send(agent, "thanks. And what happens if a payment fails?")
    assert [m.text for m in reached] == ["what happens if a payment fails?"]
    assert reached[0].metadata[CLAUSE_OF] == "thanks. And what happens if a payment fails?"
