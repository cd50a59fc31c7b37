"""Which language a message is in: lingua (lingua-language-detector, pinned; its models are in
the wheel, nothing is downloaded), asked to choose among English and the languages the assistant
can point to a person in (bot/core/languages.py), answering only when one language is clearly
ahead (a minimum relative distance). Chosen and measured by `make bench-nlu` (bench/languages.py):
on short chat messages it was right far more often than langdetect, and all of lingua's 75
languages would hold 1.3 GB where these seven hold about 180 MB.

Misspelt English is read a second time with its words corrected to the training data's
(nlu/spelling.py); bot/core/languages.py decides from both readings.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import yaml

from bot.core.languages import FEWEST_WORDS, LANGUAGES, other_language
from bot.settings import ROOT
from nlu.spelling import SpellingNormaliser

# Below it lingua gave misspelt English a foreign language (bench/languages.py chose it).
LEAD_OVER_THE_NEXT = 0.25
ANNOTATION = re.compile(r"\[([^\]]*)\]\(\w+\)")
WORD = re.compile(r"[^\W\d_]+")   # letters of any script


def english_examples(folder=ROOT / "data" / "nlu") -> list[str]:
    """The training data's messages, entity annotations taken out: the English the assistant reads."""
    texts = []
    for path in sorted(folder.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in item:
                texts += [ANNOTATION.sub(r"\1", line.strip()[2:]) for line in item["examples"].splitlines()
                          if line.strip().startswith("- ")]
    return texts


class LanguageDetector:
    def __init__(self, english: Iterable[str]):
        # deferred: only a process that detects needs the models (about 180 MB)
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in ("en", *LANGUAGES)]
        self._detector = (LanguageDetectorBuilder.from_languages(*languages)
                          .with_minimum_relative_distance(LEAD_OVER_THE_NEXT).with_preloaded_language_models().build())
        self._speller = SpellingNormaliser.learn(english)

    def _language(self, text: str) -> str | None:
        found = self._detector.detect_language_of(text)
        return None if found is None else found.iso_code_639_1.name.lower()

    def other_language(self, text: str) -> str | None:
        """The ISO 639-1 code of the language `text` is in when it is surely not English, else None."""
        count = len(WORD.findall(text))
        if count < FEWEST_WORDS:
            return None  # the core's rule would refuse it: no model call
        written = self._language(text)
        corrected = self._language(self._speller.normalise(text)) if written not in (None, "en") else written
        return other_language(written, corrected, count, self._english_share(text))

    def _english_share(self, text: str) -> float:
        """The share of the message's words that are words of the training data."""
        found = [word.lower() for word in WORD.findall(text)]
        return sum(word in self._speller.counts for word in found) / len(found) if found else 1.0


_shared: list[LanguageDetector] = []
_building = threading.Lock()


def shared_detector() -> LanguageDetector:
    """This process's detector, built at its first question."""
    with _building:
        if not _shared:
            _shared.append(LanguageDetector(english_examples()))
        return _shared[0]
