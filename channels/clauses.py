"""A chat message that asks several things, answered thing by thing (bot/core/clauses.py).

Every chat channel (REST and so the help widget, socket.io, Slack) hands its messages to Rasa
through the callback that `CountsTurns` wraps (channels/turns.py), and this wrapper is inside
it: a message counts as one turn however it is answered. A message the splitter cuts into two
or more clauses is read clause by clause by the running model. When they ask different things
it is sure of, each goes to the dialogue as a message of its own, in the order `chat_plan`
gives, all of one delivery (a yes in one can never answer an offer made to another,
actions/offer_turns.py), each carrying the message as the customer wrote it (`clause_of`), which
the conversation's history shows once (bot/notify/rasa_api.py). At most one of them acts
on the account; when the message asked for more, the reply says so just before the one taken.

Everything else goes as it was written: a message of one clause (most), clauses the model is
unsure of or reads as one request, a yes or a no, and any message while an offer waits for its
answer or a person from the team is in the chat (the customer's next words are theirs).

Cost: a message of one clause costs a regular expression. One of n clauses costs n readings by
the model (~3.5 ms each, config.yml) and a read of the tracker; sent as several messages, Rasa
takes those readings as they are (UserMessage.parse_data) and the extra cost is the dialogue's
n - 1 further turns; sent as it was, one more reading (Rasa's own, of the whole message).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered

from bot.core import messages
from bot.core.clauses import CLAUSE_OF, ONE_PER_MESSAGE, Plan, chat_plan, clauses, reading

OFFER_SLOT = "offer"  # domain.yml: the offer the assistant's latest turn made (actions/offer_turns.py)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]  # what Rasa gives a channel's blueprint


def clause_by_clause(on_new_message: OnNewMessage, agent_of: Callable[[], Agent | None]) -> OnNewMessage:
    """`on_new_message`, taking the questions of one message one by one. `agent_of` gives the
    running agent (the Rasa server's, read at each message: a model can be replaced), or None
    when there is none to read the parts with: then the message goes on whole."""
    async def answer(message: UserMessage) -> Any:
        parts = clauses(message.text or "")
        agent = agent_of() if len(parts) >= 2 else None
        if agent is None:
            return await on_new_message(message)
        parsed = [await agent.parse_message(part) for part in parts]
        plan = chat_plan([reading(p) for p in parsed])
        if plan is None or await waiting_for_an_answer(agent, message.sender_id):
            return await on_new_message(message)
        await ask_in_turns(on_new_message, agent, message, plan, parts, parsed)
        return None
    return answer


async def waiting_for_an_answer(agent: Agent, conversation_id: str) -> bool:
    """The assistant asked something (an offer may wait for its yes, a form for its answer), or a
    person is in the chat: the message is an answer, or theirs, as a whole (an offer is restated
    after whatever the message asked)."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    return tracker is not None and (tracker.is_paused() or tracker.active_loop_name is not None
                                    or bool(tracker.get_slot(OFFER_SLOT)))


async def ask_in_turns(on_new_message: OnNewMessage, agent: Agent, message: UserMessage, plan: Plan,
                       parts: list[str], parsed: list[dict]) -> None:
    metadata = {**(message.metadata or {}), "delivery": message.message_id, CLAUSE_OF: message.text}
    for turn in plan.turns:
        if plan.later and turn.intent in ONE_PER_MESSAGE:
            await say(agent, message, messages.one_request_at_a_time(list(plan.later)))
        # one clause: the model's reading of it is the message's; several (one request): Rasa reads them
        parse_data = parsed[turn.clauses[0]] if len(turn.clauses) == 1 else None
        await on_new_message(UserMessage(" ".join(parts[i] for i in turn.clauses), message.output_channel,
                                         message.sender_id, parse_data=parse_data,
                                         input_channel=message.input_channel, metadata=metadata))


async def say(agent: Agent, message: UserMessage, text: str) -> None:
    """A line of the channel's own, sent and kept in the conversation's history as the
    assistant's (the widget draws the conversation from it), under the conversation's lock. A
    conversation's session starts first, as Rasa starts it for a message: the dialogue's rules
    begin at a session's start, and a line before it would leave them nothing to match."""
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.processor.fetch_tracker_and_update_session(message.sender_id, message.output_channel,
                                                                         message.metadata)
        tracker.update(BotUttered(text))
        await agent.processor.save_tracker(tracker)
    await message.output_channel.send_text_message(message.sender_id, text)
