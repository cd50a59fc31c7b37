"""The collector skips what was loaded (bot/ops/heap.py), and a model loaded again lets the
one it replaces go: on plain objects, and on Rasa's own Agent loading the trained model."""
import gc
import weakref

import pytest
from rasa.core.agent import Agent

from bot.ops.heap import freeze_what_is_loaded
from tests.support.rasa_model import loaded_agent, model_path, trained_ted


class Model:
    """Stands for a loaded model: objects in a cycle, which only the collector frees."""

    def __init__(self):
        self.itself = self


@pytest.fixture(autouse=True)
def unfrozen_afterwards():
    yield
    gc.unfreeze()


def tracked(thing) -> bool:
    """Whether collections walk it: frozen objects are not among the collector's generations."""
    return any(each is thing for each in gc.get_objects())


def test_what_is_loaded_is_frozen_and_what_comes_after_is_not():
    loaded = Model()
    freeze_what_is_loaded()
    later = Model()
    assert not tracked(loaded) and tracked(later)
    loaded_gone, later_gone = weakref.ref(loaded), weakref.ref(later)
    del loaded, later
    gc.collect()
    assert later_gone() is None, "what came after the freeze is collected as ever"
    assert loaded_gone() is not None, "what was loaded is skipped, even as garbage"


def test_a_replaced_model_is_collected_when_the_next_is_loaded():
    old = Model()
    gone = weakref.ref(old)
    freeze_what_is_loaded()
    del old
    gc.collect()
    assert gone() is not None, "frozen, so a collection keeps it"
    freeze_what_is_loaded()  # the next model's load
    assert gone() is None


def test_rasas_agent_freezes_the_model_it_loads_and_lets_the_replaced_one_go():
    agent = loaded_agent()  # loaded through the patched Agent.load_model
    assert getattr(Agent.load_model, "freezes", False)
    replaced = weakref.ref(agent.processor)
    agent.load_model(str(model_path()))  # as Rasa's server does when it is given a new model
    assert replaced() is None, "the model it replaced was collected"
    assert gc.get_freeze_count() > 0
    assert not tracked(agent.processor) and not tracked(trained_ted(agent)), "the new model is frozen"
