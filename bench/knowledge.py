"""`make bench-nlu`'s knowledge-base figures: how well config/knowledge.yml's texts answer the
questions no intent covers.

Two labelled sets: bench/knowledge_questions.yml, the development set, and
bench/knowledge_test_questions.yml, written apart by someone who saw only the texts (never the
development set nor the questions the index reads). The threshold is learned on the development
set; the test set's figures, at that threshold, are the ones to quote.

Every labelled question gets the knowledge base's best answer and its confidence (the core's
`choose`, no threshold). The threshold is learned as the one with the highest answered share of
answerable questions among those whose answers are at least TARGET_PRECISION right; an answer is
right when its passage is one the question is labelled with, and any answer to an unanswerable
question is wrong. Figures are reported on data the threshold was not chosen on: stratified
5-fold cross-validation (answerable / unanswerable), repeated with REPEATS shuffles. The threshold
learned on all the questions is the one config/knowledge.yml should hold.

The knowledge base only reads what the intent model leaves to it (the NLU fallback, or "out of
scope"): the same held-out figures are also given for the questions the shipped model (models/,
as `make run` trains it) routes there.
"""
from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold

from bot.core.knowledge import choose
from bot.settings import ROOT, load_knowledge

QUESTIONS = Path(__file__).resolve().parent / "knowledge_questions.yml"       # development: the threshold's
TEST_QUESTIONS = Path(__file__).resolve().parent / "knowledge_test_questions.yml"  # written apart: the figures
TARGET_PRECISION = 0.9
REPEATS = 10


ROUTED_HERE = ("nlu_fallback", "out_of_scope")


FLOORS = tuple(round(0.025 * step, 3) for step in range(25))  # candidate floors, 0 to 0.6


@dataclass(frozen=True)
class Outcome:
    confidence: float
    right: bool        # the best passage is one the question is labelled with
    answerable: bool
    routed: bool       # the shipped intent model leaves it to the knowledge base
    nearness: float = float("inf")  # how similar the question is to the best passage (the floor's measure)
    off_topic: bool = False         # no question for the support team: only the floor is learned with it


@dataclass(frozen=True)
class KnowledgeScores:
    answerable: int
    unanswerable: int
    precision: float          # cross-validated: of the questions answered, the share answered rightly
    answered_share: float     # cross-validated: of the answerable questions, the share answered
    precision_range: tuple[float, float]
    share_range: tuple[float, float]
    routed_answerable: int    # answerable questions the intent model leaves to the knowledge base
    routed_unanswerable: int
    routed_precision: float   # the held-out figures above, on those questions only
    routed_share: float
    threshold_learned: float  # on all the questions
    threshold_configured: float
    build_seconds: float
    resident_mb: float        # what building the index (encoder and ONNX Runtime included) keeps resident
    question_ms: tuple[float, float]  # p50, p95 of one question: embedding and choosing
    test_answerable: int      # the test set, answered at the threshold learned on all the development set
    test_unanswerable: int
    test_precision: float
    test_share: float
    test_routed_precision: float  # the test set's questions the shipped intent model leaves to the knowledge base
    test_routed_share: float
    floor_learned: float           # the floor, learned with the threshold on the development set
    floor_configured: float
    test_person_precision: float   # the test set at that floor: of the questions told they're a person's,
    test_person_share: float       # the share that are; and of the support questions unanswered, the share told
    test_off_topic: int            # the test set's off-topic messages
    test_off_topic_answered: tuple[int, int]  # of them, answered from the texts: configured threshold alone, learned


def labelled(path: Path = QUESTIONS) -> list[tuple[str, list[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(item["q"], list(item["passages"])) for item in data["answerable"]] + \
        [(text, []) for text in data["unanswerable"]]


def every_message(path: Path) -> list[tuple[str, list[str], bool]]:
    """The labelled questions, then the set's messages that are no question for the support team at
    all: each text, the passages it is labelled with, and whether it is off topic."""
    off_topic = yaml.safe_load(path.read_text(encoding="utf-8")).get("off_topic", [])
    return [(text, keys, False) for text, keys in labelled(path)] + [(text, [], True) for text in off_topic]


def not_in_texts_outcomes(path: Path, base, index, floor: float, threshold: float) -> list[Outcome]:
    """Every labelled question the texts leave unanswered (at `floor` and `threshold`), as telling it
    is a person's sees it: the similarity of the nearest question the texts are known not to answer,
    and whether saying so is right (a question for the support team the texts do not answer, not
    small talk nor one they answer); `answerable` marks the ones that should be told."""
    outcomes = []
    for text, keys, noise in every_message(path):
        similarities, elsewhere = index.similarities(text)
        if choose(base.passages, similarities, threshold, elsewhere, text, floor) is not None:
            continue  # answered from the texts: never told it's a person's
        nearest = base.nearest_not_answered(similarities, elsewhere, text)
        for_a_person = not keys and not noise
        outcomes.append(Outcome(nearest[1] if nearest else float("-inf"), for_a_person, for_a_person, False))
    return outcomes


def learn_threshold(outcomes: list[Outcome], target: float = TARGET_PRECISION) -> float:
    """The least confidence answered from: the highest answered share at `target` precision (an
    unreachable target answers nothing)."""
    best_share, best = -1.0, float("inf")
    answerable = sum(o.answerable for o in outcomes) or 1
    for candidate in sorted({o.confidence for o in outcomes}):
        answered = [o for o in outcomes if o.confidence >= candidate]
        share = sum(o.answerable for o in answered) / answerable
        if np.mean([o.right for o in answered]) >= target and share > best_share:
            best_share, best = share, candidate
    return best


def placed(outcomes: list[Outcome], floor: float) -> list[Outcome]:
    """The outcomes with every question under `floor` left unanswered, at any threshold."""
    return [o if o.nearness >= floor else replace(o, confidence=float("-inf")) for o in outcomes]


def learn_floor(outcomes: list[Outcome], threshold: float) -> float:
    """The floor at `threshold`: of the candidates, the one with the highest answered share, then
    precision, then the lowest, over `outcomes` with the off-topic messages among them (so the floor
    turns away small talk and noise and costs an answer only when that buys more precision)."""
    def merit(floor: float) -> tuple[float, float, float]:
        share_precision = figures(outcomes, answered_at(outcomes, floor, threshold))
        return share_precision[1], share_precision[0], -floor
    return max(FLOORS, key=merit)


def answered_at(outcomes: list[Outcome], floor: float, threshold: float) -> list[bool]:
    return [o.confidence >= threshold for o in placed(outcomes, floor)]


def held_out_answers(outcomes: list[Outcome], repeats: int = REPEATS) -> list[list[bool]]:
    """For each repeat of the cross-validation, whether each question was answered by the
    threshold learned on the folds it was not in."""
    kinds = [o.answerable for o in outcomes]
    answered_by_repeat = []
    for seed in range(repeats):
        answered = [False] * len(outcomes)
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(kinds, kinds):
            trained = [outcomes[i] for i in train]
            threshold = learn_threshold([o for o in trained if not o.off_topic])
            floor = learn_floor(trained, threshold)
            for i in test:
                answered[i] = outcomes[i].nearness >= floor and outcomes[i].confidence >= threshold
        answered_by_repeat.append(answered)
    return answered_by_repeat


def figures(outcomes: list[Outcome], answered: list[bool]) -> tuple[float, float]:
    """(precision, answered share) of one repeat's held-out answers."""
    chosen = [o for o, yes in zip(outcomes, answered) if yes]
    precision = float(np.mean([o.right for o in chosen])) if chosen else 1.0
    return precision, sum(o.answerable for o in chosen) / max(sum(o.answerable for o in outcomes), 1)


@lru_cache(maxsize=1)
def _shipped_agent():
    from rasa.core.agent import Agent  # deferred: Rasa imports for seconds

    from bot.ops.model import ensure_model
    return Agent.load(str(ensure_model()))


def routed_by_the_intent_model(texts: list[str]) -> list[bool]:
    """Whether the shipped model (models/, trained if config.yml, domain.yml or data/ changed)
    leaves each text to the NLU fallback or out of scope, as Rasa parses it."""
    agent, loop = _shipped_agent(), asyncio.new_event_loop()
    try:
        return [loop.run_until_complete(agent.parse_message(text))["intent"]["name"] in ROUTED_HERE
                for text in texts]
    finally:
        loop.close()


def resident_mb() -> float:
    """This process's resident memory now (not its peak: building the encoder's graph copies the
    weights for a moment)."""
    gc.collect()
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def outcomes_of(path: Path, base, index, milliseconds: list[float]) -> list[Outcome]:
    """Every labelled question of `path` answered by the index, no threshold, then its off-topic
    messages; the time each took is added to `milliseconds`."""
    questions = every_message(path)
    unknown = {key for _, keys, _ in questions for key in keys} - {p.key for p in base.passages}
    if unknown:
        raise ValueError(f"{path.name} names passages the knowledge base has not: {', '.join(sorted(unknown))}")
    answers = []
    for text, _, _ in questions:
        started = time.perf_counter()
        similarities, elsewhere = index.similarities(text)
        answers.append(choose(base.passages, similarities, float("-inf"), elsewhere))
        milliseconds.append((time.perf_counter() - started) * 1000)
    routed = routed_by_the_intent_model([text for text, _, _ in questions])
    # No answer at all (a question the texts do not answer was nearest): never answered, at any threshold.
    return [Outcome(answer.confidence, answer.passage.key in keys, bool(keys), here, answer.nearness, noisy)
            if answer is not None
            else Outcome(float("-inf"), False, bool(keys), here, off_topic=noisy)
            for answer, (_, keys, noisy), here in zip(answers, questions, routed)]


def evaluate() -> KnowledgeScores:
    from nlu.knowledge import KnowledgeIndex  # deferred: loads the sentence encoder
    from nlu.sentence_encoder import shared_encoder

    base = load_knowledge()
    before, started = resident_mb(), time.monotonic()
    index = KnowledgeIndex(base, shared_encoder())
    build_seconds, resident = time.monotonic() - started, resident_mb() - before
    milliseconds: list[float] = []
    outcomes = outcomes_of(QUESTIONS, base, index, milliseconds)
    tests = outcomes_of(TEST_QUESTIONS, base, index, milliseconds)
    threshold = learn_threshold([o for o in outcomes if not o.off_topic])
    floor = learn_floor(outcomes, threshold)
    chatter_placed = (sum(answered_at([o for o in tests if o.off_topic], float("-inf"), base.threshold)),
                      sum(answered_at([o for o in tests if o.off_topic], floor, threshold)))
    test_precision, test_share = figures(tests, answered_at(tests, floor, threshold))
    routed_tests = [o for o in tests if o.routed]
    test_routed_precision, test_routed_share = figures(routed_tests, answered_at(routed_tests, floor, threshold))
    told = not_in_texts_outcomes(TEST_QUESTIONS, base, index, floor, threshold)
    test_person_precision, test_person_share = figures(told, [o.confidence >= floor for o in told])
    repeats = held_out_answers(outcomes)
    precisions, shares = zip(*(figures(outcomes, answered) for answered in repeats))
    kept = [i for i, o in enumerate(outcomes) if o.routed]
    routed_precisions, routed_shares = zip(*(figures([outcomes[i] for i in kept], [answered[i] for i in kept])
                                             for answered in repeats))
    return KnowledgeScores(
        sum(o.answerable for o in outcomes), sum(not o.answerable for o in outcomes),
        float(np.mean(precisions)), float(np.mean(shares)), (min(precisions), max(precisions)),
        (min(shares), max(shares)), sum(o.answerable and o.routed for o in outcomes),
        sum(not o.answerable and o.routed for o in outcomes), float(np.mean(routed_precisions)),
        float(np.mean(routed_shares)), threshold, base.threshold, build_seconds, resident,
        (float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 95))),
        sum(o.answerable for o in tests), sum(not o.answerable for o in tests), test_precision, test_share,
        test_routed_precision, test_routed_share, floor, base.floor, test_person_precision,
        test_person_share, sum(o.off_topic for o in tests), chatter_placed)


def print_knowledge(scores: KnowledgeScores) -> None:
    s = scores
    print(f"\nknowledge base ({(ROOT / 'config' / 'knowledge.yml').relative_to(ROOT)}) on {QUESTIONS.name}: "
          f"{s.answerable} answerable, {s.unanswerable} unanswerable questions; threshold learned for "
          f"{TARGET_PRECISION:.0%} precision, figures on held-out folds (5-fold CV x {REPEATS})\n")
    print("| precision of answers | answered share | threshold learned on all / configured | index build "
          "| memory added | one question p50 / p95 |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| {s.precision:.3f} ({s.precision_range[0]:.3f}-{s.precision_range[1]:.3f}) "
          f"| {s.answered_share:.3f} ({s.share_range[0]:.3f}-{s.share_range[1]:.3f}) "
          f"| {s.threshold_learned:.3f} / {s.threshold_configured:.3f} | {s.build_seconds:.1f} s "
          f"| {s.resident_mb:.0f} MB | {s.question_ms[0]:.1f} / {s.question_ms[1]:.1f} ms |")
    print(f"\nof them, left to the knowledge base by the shipped intent model (NLU fallback or out of scope): "
          f"{s.routed_answerable} answerable, {s.routed_unanswerable} unanswerable; held out, precision "
          f"{s.routed_precision:.3f}, answered share {s.routed_share:.3f}")
    print(f"\ntest set ({TEST_QUESTIONS.name}, written apart): {s.test_answerable} answerable, "
          f"{s.test_unanswerable} unanswerable; at the threshold learned on the development set: precision "
          f"**{s.test_precision:.3f}**, answered share **{s.test_share:.3f}**; of those the shipped intent model "
          f"leaves to the knowledge base: precision {s.test_routed_precision:.3f}, answered share "
          f"{s.test_routed_share:.3f}")
    print(f"\nthe floor (least similarity placed at all; learned with the threshold on the development set "
          f"{s.floor_learned:.3f}, configured {s.floor_configured:.3f}); questions told the texts don't answer them "
          f"and a person can: on the test set, {s.test_person_precision:.3f} of those told are questions for the "
          f"support team (not small talk), and {s.test_person_share:.3f} of those left unanswered are told so")
    print(f"the test set's {s.test_off_topic} off-topic messages answered from the texts: "
          f"{s.test_off_topic_answered[0]} at the configured threshold alone, {s.test_off_topic_answered[1]} with "
          "the learned threshold and floor")
    if abs(s.floor_learned - s.floor_configured) > 1e-3:
        print(f"config/knowledge.yml's floor is not the one learned on these questions: set it to "
              f"{s.floor_learned:.3f}")
    if abs(s.threshold_learned - s.threshold_configured) > 1e-3:
        print(f"config/knowledge.yml's threshold is not the one learned on these questions: set it to "
              f"{s.threshold_learned:.3f}")
