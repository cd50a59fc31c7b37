"""Misspelt words mapped to the training data's own words: "refnd" -> "refund".

Customers write "cancle", "subscribtion", "trail" for trial; character n-grams forgive some
of it, but a word that matches no training word still loses its word features. Each word
not in the vocabulary is replaced by the most frequent training word within one edit (two for
words of seven letters or more; an edit deletes, inserts, replaces or swaps two neighbouring
letters). Candidates are found through a table of deletions (the SymSpell idea), so a
message costs a few dictionary look-ups, not a scan of the vocabulary.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from itertools import combinations

WORD = re.compile(r"[a-z]+")
SHORTEST_CORRECTED = 4   # "hii", "pls", "thx" are shorthand, not typos
TWO_EDITS_FROM = 7       # at six letters, two edits turned "source" into "sure" (and so into a yes)
REMEMBERED = 10_000     # corrections kept; customers can send endless new strings


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _deletions(word: str, most: int) -> set[str]:
    found = {word}
    for count in range(1, min(most, len(word) - 1) + 1):
        found.update("".join(word[i] for i in range(len(word)) if i not in gone)
                     for gone in combinations(range(len(word)), count))
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance with adjacent swaps (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


class SpellingNormaliser:
    def __init__(self, counts: dict[str, int]):
        self.counts = dict(counts)
        self._by_deletion: dict[str, set[str]] = {}
        for word in self.counts:
            for key in _deletions(word, 2):
                self._by_deletion.setdefault(key, set()).add(word)
        self._seen: dict[str, str] = {}
        # A word longer than this is more than two edits from every known word; without the
        # bound one 2,000-letter "word" would make two million deletions to look up.
        self._longest_correctable = max(map(len, self.counts), default=0) + 2

    @classmethod
    def learn(cls, texts: Iterable[str]) -> "SpellingNormaliser":
        return cls(Counter(word for text in texts for word in words(text)))

    def correct(self, word: str) -> str:
        if word in self.counts or not SHORTEST_CORRECTED <= len(word) <= self._longest_correctable:
            return word
        if word not in self._seen:
            if len(self._seen) >= REMEMBERED:
                self._seen.clear()
            most = 2 if len(word) >= TWO_EDITS_FROM else 1
            candidates = {known for key in _deletions(word, most) for known in self._by_deletion.get(key, ())}
            scored = [(edit_distance(word, known), -self.counts[known], known) for known in candidates]
            near = [entry for entry in scored if entry[0] <= most]
            self._seen[word] = min(near)[2] if near else word
        return self._seen[word]

    def normalise(self, text: str) -> str:
        return WORD.sub(lambda match: self.correct(match.group()), text.lower())
