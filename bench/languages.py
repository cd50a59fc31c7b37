"""`make bench-nlu`'s language figures: how often the detector (nlu/language.py) calls English
foreign, on the training data (data/nlu) and on the same messages misspelt as customers misspell
(a letter dropped, swapped with the next, replaced or doubled in two of five longer words, seeded),
and how many short messages in Spanish, French, German, Portuguese, Italian and Dutch
(bench/language_messages.yml, written for it) it recognises as not English, and as which language;
and how many of those the shipped intent model leaves to the fallback or out of scope, the two
answers that look at a message's language.

The detector's settings (the seven languages, its minimum relative distance, two words at least,
the spelling-corrected second reading) were chosen on these same sets: the figures say what they
do here, not on messages nobody has looked at.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.knowledge import resident_mb, routed_by_the_intent_model

MESSAGES = Path(__file__).resolve().parent / "language_messages.yml"
SEED = 0
MISSPELT_SHARE = 0.4


@dataclass(frozen=True)
class LanguageScores:
    english: int
    english_called_foreign: list[str]
    misspelt_called_foreign: list[str]
    recognised: dict[str, float]    # language -> share recognised as not English
    named_rightly: dict[str, float]  # language -> share given its own language
    routed: float                   # of all those messages, the share the intent model leaves to the two answers
    build_seconds: float
    resident_mb: float
    message_ms: float


def misspelt(text: str, rng: random.Random) -> str:
    """`text` with some words of four letters or more mistyped once."""
    typed = []
    for word in text.split(" "):
        if len(word) >= 4 and word.isalpha() and rng.random() < MISSPELT_SHARE:
            i = rng.randrange(len(word) - 1)
            word = rng.choice([word[:i] + word[i + 1:], word[:i] + word[i + 1] + word[i] + word[i + 2:],
                               word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1:],
                               word[:i] + word[i] + word[i:]])
        typed.append(word)
    return " ".join(typed)


def evaluate() -> LanguageScores:
    from nlu.language import LanguageDetector, english_examples  # deferred: loads lingua's models

    english = english_examples()
    rng = random.Random(SEED)
    typos = [misspelt(text, rng) for text in english]
    others = yaml.safe_load(MESSAGES.read_text(encoding="utf-8"))
    before, started = resident_mb(), time.monotonic()
    detector = LanguageDetector(english)
    build_seconds, resident = time.monotonic() - started, resident_mb() - before
    started = time.perf_counter()
    foreign = [text for text in english if detector.other_language(text)]
    misspelt_foreign = [text for text in typos if detector.other_language(text)]
    found = {language: [detector.other_language(text) for text in texts] for language, texts in others.items()}
    count = len(english) + len(typos) + sum(len(texts) for texts in others.values())
    message_ms = (time.perf_counter() - started) / count * 1000
    routed = routed_by_the_intent_model([text for texts in others.values() for text in texts])
    return LanguageScores(len(english), foreign, misspelt_foreign,
                          {lang: sum(f is not None for f in got) / len(got) for lang, got in found.items()},
                          {lang: sum(f == lang for f in got) / len(got) for lang, got in found.items()},
                          sum(routed) / len(routed), build_seconds, resident, message_ms)


def print_languages(scores: LanguageScores) -> None:
    s = scores
    print(f"\nlanguage detector (nlu/language.py) on data/nlu's {s.english} English messages, the same misspelt, and "
          f"{MESSAGES.name}\n")
    print("| English called foreign | misspelt English called foreign | "
          + " | ".join(f"{lang} recognised (own language)" for lang in s.recognised) + " | build | memory added "
          "| one message |")
    print("| --- | --- | " + " | ".join("---" for _ in s.recognised) + " | --- | --- | --- |")
    print(f"| {len(s.english_called_foreign)} ({len(s.english_called_foreign) / s.english:.2%}) "
          f"| {len(s.misspelt_called_foreign)} ({len(s.misspelt_called_foreign) / s.english:.2%}) | "
          + " | ".join(f"{s.recognised[lang]:.2f} ({s.named_rightly[lang]:.2f})" for lang in s.recognised)
          + f" | {s.build_seconds:.1f} s | {s.resident_mb:.0f} MB | {s.message_ms:.2f} ms |")
    print(f"the shipped intent model leaves {s.routed:.0%} of the other languages' messages to the NLU fallback or "
          f"out of scope, where their language is looked at")
    for label, texts in (("English", s.english_called_foreign), ("misspelt English", s.misspelt_called_foreign)):
        if texts:
            print(f"{label} called foreign: {'; '.join(texts[:10])}")
