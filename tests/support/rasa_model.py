"""The project's trained model, loaded by Rasa's own Agent with our patches installed, once
per test process: what the patches change is tested on the classes Rasa really runs (its
processor, the trained TEDPolicy, Agent.load_model), not on stand-ins for them."""
from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.trackers import DialogueStateTracker

from bot.ops.model import ensure_model
from bot.ops.rasa_patches import install_in_rasa


def model_path() -> Path:
    return Path(os.environ.get("GROUPTRACK_MODEL") or ensure_model())


@functools.lru_cache(maxsize=None)
def loaded_agent() -> Agent:
    """No action server behind it: a custom action it predicts fails, and is logged, as Rasa does."""
    install_in_rasa()
    return Agent.load(str(model_path()))


def trained_ted(agent: Agent) -> TEDPolicy:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component for node in nodes if isinstance(node._component, TEDPolicy))


def send(agent: Agent, sender: str, text: str) -> list[str]:
    """One customer message through Rasa's processor; the texts the assistant sent back."""
    channel = CollectingOutputChannel()
    asyncio.run(agent.handle_message(UserMessage(text, channel, sender)))
    return [message.get("text") for message in channel.messages]


def tracker_of(agent: Agent, sender: str) -> DialogueStateTracker:
    return asyncio.run(agent.tracker_store.retrieve(sender))


def store(agent: Agent, tracker: DialogueStateTracker) -> None:
    asyncio.run(agent.tracker_store.save(tracker))
