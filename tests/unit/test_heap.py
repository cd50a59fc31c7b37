"""The collector skips what was loaded (bot/ops/heap.py), and a model loaded again lets the
one it replaces go."""
import gc
import weakref

import pytest
from rasa.core.agent import Agent

from bot.ops import rasa_tuning
from bot.ops.heap import freeze_what_is_loaded


class Model:
    """Stands for a loaded model: objects in a cycle, which only the collector frees."""

    def __init__(self):
        self.itself = self


@pytest.fixture(autouse=True)
def unfrozen_afterwards():
    yield
    gc.unfreeze()


def test_what_is_loaded_is_frozen_and_what_comes_after_is_not():
    loaded = Model()
    freeze_what_is_loaded()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    later = Model()
    assert gc.get_freeze_count() == frozen
    gc.collect()
    assert gc.get_freeze_count() == frozen, "a collection does not thaw what was frozen"
    assert loaded.itself is loaded and later.itself is later


def test_a_replaced_model_is_collected_when_the_next_is_loaded():
    old = Model()
    gone = weakref.ref(old)
    freeze_what_is_loaded()
    del old
    gc.collect()
    assert gone() is not None, "frozen, so a collection keeps it"
    freeze_what_is_loaded()  # the next model's load
    assert gone() is None


def test_rasa_freezes_after_every_model_load():
    rasa_tuning.install()
    assert getattr(Agent.load_model, "freezes", False)
    loads = []

    def load_model(agent, model_path, fingerprint=None):
        loads.append((agent, model_path, fingerprint))

    gc.unfreeze()
    rasa_tuning._freezing_after(load_model)("agent", "models/x.tar.gz", fingerprint="f")
    assert loads == [("agent", "models/x.tar.gz", "f")]
    assert gc.get_freeze_count() > 0
