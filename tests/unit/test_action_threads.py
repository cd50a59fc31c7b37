"""bot/ops/action_threads.py: rasa-sdk's executor runs each action call in a bounded pool of
threads, so an action stuck in a slow call holds no one else's; what the calls share still
reaches them (the conversation's id for logs). tests/e2e/test_slow_stripe.py shows the same
with a real refund held at Stripe's door."""
from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest
from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import SlotSet

from bot.observability.logs import conversation_id
from bot.ops.action_threads import BEHIND_ANSWERS, MOVES_MONEY, PooledActionExecutor, behind_answers

HOLD = 10  # seconds an action waits to be let go; the old executor's whole loop waited that long


def call(action: str, sender: str = "someone") -> dict:
    """An action call as Rasa sends it (the tracker's state, trimmed to what the actions read)."""
    return {"next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {"text": "hi"}, "events": [],
                        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}}


class Gate:
    """Where a held action waits, as a refund waits on a slow Stripe."""

    def __init__(self):
        self.reached, self.opened = threading.Event(), threading.Event()
        self.threads: list[str] = []

    def wait(self) -> bool:
        self.threads.append(threading.current_thread().name)
        self.reached.set()
        return self.opened.wait(HOLD)


def executor_with(gate: Gate, threads: int = 4) -> PooledActionExecutor:
    class Held(Action):
        def name(self):
            return "action_held"

        def run(self, dispatcher, tracker, domain):
            return [SlotSet("let_go", gate.wait())]

    class Quick(Action):
        def name(self):
            return "action_quick"

        def run(self, dispatcher, tracker, domain):
            dispatcher.utter_message(text=f"quick for {conversation_id.get()}")
            return [SlotSet("gate_open", gate.opened.is_set())]

    class ValidateHeldForm(FormValidationAction):  # asynchronous run, synchronous validators
        def name(self):
            return "validate_held_form"

        def validate_code(self, value, dispatcher, tracker, domain):
            return {"code": gate.wait()}

    executor = PooledActionExecutor(threads)
    for action in (Held, Quick, ValidateHeldForm):
        executor.register_action(action)
    return executor


async def until(event: threading.Event) -> None:
    for _ in range(HOLD * 20):
        if event.is_set():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never reached")


def slot(reply: dict, name: str):
    return next(event["value"] for event in reply["events"] if event.get("name") == name)


def test_an_action_held_in_a_slow_call_holds_no_other_conversations_action():
    gate = Gate()
    executor = executor_with(gate)

    async def converse():
        held = asyncio.create_task(executor.run(call("action_held", "refunding")))
        await until(gate.reached)
        quick = await asyncio.wait_for(executor.run(call("action_quick", "asking")), HOLD / 2)
        gate.opened.set()
        return quick, await held

    quick, held = asyncio.run(converse())
    assert slot(quick, "gate_open") is False, "the other action answered while the first was held"
    assert slot(held, "let_go") is True, "the held action was let go by the test, not by its timeout"
    assert gate.threads[0].startswith("action")


def test_a_form_validation_waits_in_the_pool_too():
    """rasa-sdk's form validation is a coroutine that calls our synchronous validators."""
    gate = Gate()
    executor = executor_with(gate)
    form = call("validate_held_form")
    form["tracker"]["slots"] = {"code": "123456", "requested_slot": "code"}
    form["tracker"]["events"] = [{"event": "slot", "name": "code", "value": "123456"}]
    form["domain"] = {"forms": {"held_form": {"required_slots": ["code"]}}, "slots": {"code": {}}}

    async def converse():
        held = asyncio.create_task(executor.run(form))
        await until(gate.reached)
        quick = await asyncio.wait_for(executor.run(call("action_quick")), HOLD / 2)
        gate.opened.set()
        return quick, await held

    quick, held = asyncio.run(converse())
    assert slot(quick, "gate_open") is False and slot(held, "code") is True


def test_the_conversations_id_reaches_the_thread_its_action_runs_in():
    executor = executor_with(Gate())

    async def as_the_action_server_does(sender: str) -> dict:
        conversation_id.set(sender)  # bot/ops/action_server.py's middleware, in the request's context
        return await executor.run(call("action_quick", sender))

    async def both():
        return await asyncio.gather(as_the_action_server_does("conv-1"), as_the_action_server_does("conv-2"))

    replies = asyncio.run(both())
    assert [reply["responses"][0]["text"] for reply in replies] == ["quick for conv-1", "quick for conv-2"]


def test_past_its_bound_the_pool_makes_calls_wait_for_a_thread():
    gate = Gate()
    executor = executor_with(gate, threads=2)

    async def converse():
        held = [asyncio.create_task(executor.run(call("action_held", f"c{n}"))) for n in range(2)]
        await until(gate.reached)
        while len(gate.threads) < 2:
            await asyncio.sleep(0.05)
        queued = asyncio.create_task(executor.run(call("action_quick")))
        await asyncio.sleep(0.5)
        waited = not queued.done()
        gate.opened.set()
        await asyncio.gather(*held)
        return waited, await queued

    waited, quick = asyncio.run(converse())
    assert waited and slot(quick, "gate_open") is True


def test_the_yes_that_carries_out_an_offer_runs_behind_the_answers():
    """What carries out an offer runs in the money pool, a nice value lower on Linux, and an answer
    asked meanwhile still comes from an answering thread."""
    seen: dict[str, tuple[str, int]] = {}

    def where() -> tuple[str, int]:
        return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    class Yes(Action):
        def name(self):
            return "action_answer_yes"

        def run(self, dispatcher, tracker, domain):
            seen["yes"] = where()
            return []

    class Answer(Action):
        def name(self):
            return "action_answer_trial"

        def run(self, dispatcher, tracker, domain):
            seen["answer"] = where()
            return []

    executor = PooledActionExecutor(2, 2)
    for action in (Yes, Answer):
        executor.register_action(action)
    asyncio.run(executor.run(call("action_answer_yes")))
    asyncio.run(executor.run(call("action_answer_trial")))
    assert "action_answer_yes" in MOVES_MONEY
    assert seen["yes"][0].startswith("money") and seen["answer"][0].startswith("action")
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen["answer"][1] == own
    if sys.platform.startswith("linux"):
        assert seen["yes"][1] == max(own, BEHIND_ANSWERS)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread is Linux's")
def test_a_money_thread_is_never_made_more_urgent_than_it_was():
    after: list[int] = []

    def started_nicer():
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, 19)
        behind_answers()
        after.append(os.getpriority(os.PRIO_PROCESS, thread))

    worker = threading.Thread(target=started_nicer)
    worker.start()
    worker.join()
    assert after == [19]
