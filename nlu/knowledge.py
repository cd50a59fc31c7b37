"""The knowledge base read by the sentence encoder: every passage's units embedded once, a
question embedded and compared with them (a dot product: the vectors are unit length), and the
core's `choose` deciding what, if anything, answers it.

One index per process, built at its first question: the encoder's weights and the units'
vectors stay loaded (`make bench-nlu` reports what that costs in memory and per question).
"""
from __future__ import annotations

import threading

import numpy as np

from bot.core.knowledge import Answer, KnowledgeBase, quoted_for
from bot.settings import load_knowledge
from nlu.sentence_encoder import SentenceEncoder, shared_encoder


class KnowledgeIndex:
    def __init__(self, base: KnowledgeBase, encoder: SentenceEncoder):
        self.base, self.encoder = base, encoder
        units = [unit for passage in base.passages for unit in passage.units()]
        self._vectors = encoder.encode([*units, *base.not_answered])
        self._ends = np.cumsum([len(passage.units()) for passage in base.passages])

    def similarities(self, question: str) -> tuple[list[list[float]], list[float]]:
        """The question's similarity to each unit of each passage, and to each question the texts
        do not answer, as `choose` reads them."""
        scores = self._vectors @ self.encoder.encode([question])[0]
        *passages, elsewhere = np.split(scores, self._ends)
        return [part.tolist() for part in passages], elsewhere.tolist()

    def answer(self, question: str) -> Answer | None:
        return self.base.answer(*self.similarities(question), question=question)

    def not_in_texts(self, question: str) -> str | None:
        """The question the texts are known not to answer that `question` asks, or None."""
        return self.base.not_in_texts(*self.similarities(question), question=question)

    def answer_follow_up(self, previous: str, question: str) -> Answer | None:
        """`question` asked right after `previous` was answered from the texts: the passage both
        together are about, quoted where it answers `question`."""
        answer = self.answer(f"{previous} {question}")
        if answer is None:
            return None
        return quoted_for(answer, self.base.passages, self.similarities(question)[0], question)


_shared: list[KnowledgeIndex] = []
_building = threading.Lock()


def shared_index() -> KnowledgeIndex:
    """This process's index of the configured knowledge base (config/knowledge.yml)."""
    with _building:
        if not _shared:
            _shared.append(KnowledgeIndex(load_knowledge(), shared_encoder()))
        return _shared[0]
