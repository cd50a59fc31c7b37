"""Python's cyclic garbage collector, told which objects live as long as the process.

A full collection walks every object the collector tracks, and a Rasa server's are mostly
its loaded model and imports (TensorFlow, the featurizers, Rasa's modules), which live
until the process ends. Under load (`make bench-turns`' production shape, 24 turns/s) each
full collection of a Rasa replica took 0.3 s, a stall every waiting turn sees in its
latency, and all collections together an eighth of its CPU; the action server's took 0.1 s.
`gc.freeze()` moves what exists now into a permanent generation that collections skip, so
they walk only what the traffic makes. A frozen object that later becomes garbage is not
freed: memory, never behaviour; a model loaded again unfreezes first, so the model it
replaces can be collected.
"""
from __future__ import annotations

import gc


def freeze_what_is_loaded() -> None:
    """Call once what lives for the whole process is loaded (and after loading it again)."""
    gc.unfreeze()  # what was frozen before, a replaced model included, is collectable again
    gc.collect()
    gc.freeze()
