"""Word and character n-gram TF-IDF with logistic regression (and, for the messages it is
unsure of, a second regression that also reads a sentence embedding), plus the confidence below
which a message belongs to none of the intents, learned from the training data itself.

The boundary is learned by leaving intents out: in each of `folds` cross-validation folds a
fifth of the intents is hidden from training, their held-out examples stand for messages
about something else, and the threshold that separates best (Matthews correlation over
intents plus "none") wins. Confidences are then rescaled so that boundary is always
`BOUNDARY`, so one FallbackClassifier threshold fits any training data (ours, or a benchmark's).
Persisted as plain arrays and JSON: nothing is unpickled when a model loads.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef
from sklearn.model_selection import StratifiedKFold

from bot.core.hesitation import HESITATION_SOUND
from nlu.spelling import SpellingNormaliser

BOUNDARY = 0.5
NONE_OF_THEM = "\0none"   # stands for hidden intents while the boundary is learned
CANDIDATE_BOUNDARIES = np.round(np.arange(0.05, 0.951, 0.025), 3)
SURE_ACCURACY, SURE_LEAST = 0.99, 20
CANDIDATE_SURE = np.round(np.arange(0.5, 0.991, 0.05), 2)


# Hesitation before the message ("hmm is there a fee", "um, can I cancel"): it carries no intent,
# and the few training examples that start with it taught the model to doubt the rest (0.48
# against 0.92 without it).
LEADING_HESITATION = re.compile(rf"^\W*(?:{HESITATION_SOUND}\b\W*)+(?=\w)", re.IGNORECASE)


def what_is_read(text: str) -> str:
    """The part of a message the classifier reads, in training and in a conversation alike:
    all of it but a leading hesitation (a message that is nothing else is read as it is)."""
    return LEADING_HESITATION.sub("", text, count=1)


@dataclass(frozen=True)
class Options:
    C: float = 10.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 4)
    spelling: bool = True
    folds: int = 5
    max_iter: int = 2000
    dense_weight: float = 1.0   # how much a sentence embedding counts beside the n-grams, when there is one


def _vectorizers(options: Options) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    return (TfidfVectorizer(ngram_range=tuple(options.word_ngrams), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(options.char_ngrams), sublinear_tf=True))


Dense = np.ndarray | None   # one sentence embedding per text (rows), or none


def _features(ngram_blocks: list, dense: Dense, weight: float) -> sp.csr_matrix:
    extra = [] if dense is None else [sp.csr_matrix(np.asarray(dense, dtype=np.float64) * weight)]
    return sp.hstack(ngram_blocks + extra).tocsr()


class Fitted:
    """Normaliser, vectorizers and regression, without a boundary. The regression reads the
    n-gram features and, when the model was fitted with them, a sentence embedding per text
    (scaled by `dense_weight`, after the n-gram columns)."""

    def __init__(self, options: Options, normaliser: SpellingNormaliser | None,
                 vectorizers: tuple[TfidfVectorizer, TfidfVectorizer], regression: LogisticRegression,
                 dense_dimensions: int = 0):
        self.options, self.normaliser, self.vectorizers, self.regression = options, normaliser, vectorizers, regression
        self.dense_dimensions = dense_dimensions
        # What one message needs of each vectorizer (probabilities_of): its analyzer, vocabulary, idf.
        self._single = [(v.build_analyzer(), v.vocabulary_, v.idf_) for v in vectorizers]

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], options: Options, dense: Dense = None) -> "Fitted":
        normaliser = SpellingNormaliser.learn(texts) if options.spelling else None
        vectorizers = _vectorizers(options)
        prepared = [normaliser.normalise(t) if normaliser else t for t in texts]
        features = _features([v.fit_transform(prepared) for v in vectorizers], dense, options.dense_weight)
        regression = LogisticRegression(C=options.C, class_weight="balanced", max_iter=options.max_iter)
        regression.fit(features, labels)
        return cls(options, normaliser, vectorizers, regression, 0 if dense is None else dense.shape[1])

    def _check(self, dense: Dense, rows: int) -> None:
        given = 0 if dense is None else dense.shape[-1]
        if given != self.dense_dimensions or (dense is not None and dense.shape[0] != rows):
            raise ValueError(f"this intent model reads {self.dense_dimensions} sentence-embedding dimensions per "
                             f"message, and was given {given} for {rows} messages: is the classifier's "
                             f"sentence_encoder_layers what it was when the model was trained?")

    def probabilities(self, texts: list[str], dense: Dense = None) -> np.ndarray:
        self._check(dense, len(texts))
        prepared = [self.normaliser.normalise(t) if self.normaliser else t for t in texts]
        return self.regression.predict_proba(
            _features([v.transform(prepared) for v in self.vectorizers], dense, self.options.dense_weight))

    def probabilities_of(self, text: str, dense: Dense = None) -> np.ndarray:
        """`probabilities([text], dense)[0]`, for the one message of a turn: scikit-learn's checks
        and sparse matrices cost ten times the arithmetic for a single row, so the same arithmetic
        (tf-idf with sublinear tf and l2 norm per vectorizer, the embedding's columns, then
        softmax of the linear scores) is done directly. Two intents (a one-row model) go the
        general way."""
        regression = self.regression
        if dense is not None:
            dense = np.asarray(dense, dtype=np.float64).reshape(1, -1)
        if regression.coef_.shape[0] == 1:
            return self.probabilities([text], dense)[0]
        self._check(dense, 1)
        prepared = self.normaliser.normalise(text) if self.normaliser else text
        columns, values, offset = [], [], 0
        for analyse, vocabulary, idf in self._single:
            counts: dict[int, int] = {}
            for token in analyse(prepared):
                column = vocabulary.get(token)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if counts:
                found = np.fromiter(counts, dtype=np.int64, count=len(counts))
                weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[found]
                columns.append(found + offset)
                values.append(weights / np.sqrt(weights @ weights))
            offset += len(idf)
        scores = regression.intercept_.astype(np.float64, copy=True)
        if columns:
            scores += regression.coef_[:, np.concatenate(columns)] @ np.concatenate(values)
        if dense is not None:
            scores += regression.coef_[:, offset:] @ (dense[0] * self.options.dense_weight)
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()


def learn_boundary(texts: list[str], labels: list[str], options: Options, seed: int = 0,
                   dense: Dense = None) -> float | None:
    """The raw confidence that best tells hidden intents from known ones; None when there are
    too few intents or examples to hide some."""
    texts_, labels_ = np.array(texts, dtype=object), np.array(labels, dtype=object)
    intents, counts = np.unique(labels_, return_counts=True)
    if len(intents) < 2 * options.folds or counts.min() < options.folds:
        return None
    hidden_groups = np.array_split(np.random.default_rng(seed).permutation(intents), options.folds)
    folds = StratifiedKFold(options.folds, shuffle=True, random_state=seed).split(texts_, labels_)
    total = np.zeros(len(CANDIDATE_BOUNDARIES))
    for (train, test), hidden in zip(folds, hidden_groups):
        known = train[~np.isin(labels_[train], hidden)]
        model = Fitted.fit(list(texts_[known]), list(labels_[known]), options,
                           None if dense is None else dense[known])
        probabilities = model.probabilities(list(texts_[test]), None if dense is None else dense[test])
        best = model.regression.classes_[probabilities.argmax(1)]
        confidence = probabilities.max(1)
        truth = np.where(np.isin(labels_[test], hidden), NONE_OF_THEM, labels_[test])
        total += [matthews_corrcoef(truth, np.where(confidence >= b, best, NONE_OF_THEM))
                  for b in CANDIDATE_BOUNDARIES]
    return float(CANDIDATE_BOUNDARIES[int(total.argmax())])


def rescale(confidence: np.ndarray, boundary: float) -> np.ndarray:
    """Monotone and piecewise linear: 0 -> 0, boundary -> BOUNDARY, 1 -> 1."""
    below = confidence * BOUNDARY / boundary
    above = BOUNDARY + (confidence - boundary) * (1 - BOUNDARY) / (1 - boundary)
    return np.where(confidence < boundary, below, above)


def learn_sure(texts: list[str], labels: list[str], options: Options, seed: int = 0) -> float | None:
    """The n-gram model's own confidence from which it was right at least `SURE_ACCURACY` of
    the time in cross-validation (at least `SURE_LEAST` messages above it): above it a message
    is answered without the sentence encoder. None when no confidence is that reliable."""
    texts_, labels_ = np.array(texts, dtype=object), np.array(labels, dtype=object)
    if np.unique(labels_, return_counts=True)[1].min() < options.folds:
        return None
    confidence, right = [], []
    for train, test in StratifiedKFold(options.folds, shuffle=True, random_state=seed).split(texts_, labels_):
        model = Fitted.fit(list(texts_[train]), list(labels_[train]), options)
        probabilities = model.probabilities(list(texts_[test]))
        confidence.append(probabilities.max(1))
        right.append(model.regression.classes_[probabilities.argmax(1)] == labels_[test])
    confidence, right = np.concatenate(confidence), np.concatenate(right)
    for candidate in CANDIDATE_SURE:
        above = confidence >= candidate
        if above.sum() >= SURE_LEAST and right[above].mean() >= SURE_ACCURACY:
            return float(candidate)
    return None


Embed = Callable[[str], np.ndarray]   # a message's sentence embedding, made only when asked for


class TextModel:
    """The n-gram model and, when trained with sentence embeddings, a second regression that
    reads them too (`deep`). A message the n-grams alone are sure of (confidence >= `sure`,
    learned by `learn_sure`) is answered by them; only the rest pay for an embedding, which
    costs several times the rest of the parse."""

    def __init__(self, fitted: Fitted, boundary: float, deep: tuple[Fitted, float] | None = None,
                 sure: float | None = None):
        self.fitted, self.boundary, self.deep, self.sure = fitted, boundary, deep, sure

    @classmethod
    def train(cls, texts: list[str], labels: list[str], options: Options, dense: Dense = None) -> "TextModel":
        def boundary_for(with_dense: Dense) -> float:
            learned = learn_boundary(texts, labels, options, dense=with_dense)
            return BOUNDARY if learned is None else learned

        plain = Fitted.fit(texts, labels, options)
        if dense is None:
            return cls(plain, boundary_for(None))
        deep = (Fitted.fit(texts, labels, options, dense), boundary_for(dense))
        return cls(plain, boundary_for(None), deep, learn_sure(texts, labels, options))

    @property
    def needs_embeddings(self) -> bool:
        return self.deep is not None

    def rank(self, text: str, embed: Embed | None = None) -> list[tuple[str, float]]:
        probabilities, boundary = self.fitted.probabilities_of(text), self.boundary
        if self.deep is not None and (self.sure is None or probabilities.max() < self.sure):
            if embed is None:
                raise ValueError("this intent model was trained with sentence embeddings and needs one for "
                                 "a message it is unsure of")
            deep, boundary = self.deep
            probabilities = deep.probabilities_of(text, embed(text))
        confidences = rescale(probabilities, boundary)
        order = np.argsort(-confidences, kind="stable")
        return [(str(self.fitted.regression.classes_[i]), float(confidences[i])) for i in order]

    def save(self, folder: Path) -> None:
        fitted = self.fitted
        meta = {"options": fitted.options.__dict__, "boundary": self.boundary,
                "classes": [str(c) for c in fitted.regression.classes_],
                "vocabularies": [{k: int(v) for k, v in vec.vocabulary_.items()} for vec in fitted.vectorizers],
                "spelling": fitted.normaliser.counts if fitted.normaliser else None}
        arrays = {"coef": fitted.regression.coef_, "intercept": fitted.regression.intercept_,
                  "idf_word": fitted.vectorizers[0].idf_, "idf_char": fitted.vectorizers[1].idf_}
        if self.deep is not None:
            # Same texts, so the same spelling counts, vocabularies and idf: only the regression differs.
            deep, meta["deep_boundary"] = self.deep
            meta["sure"], meta["dense_dimensions"] = self.sure, deep.dense_dimensions
            arrays.update(deep_coef=deep.regression.coef_, deep_intercept=deep.regression.intercept_)
        (folder / "text_model.json").write_text(json.dumps(meta))
        np.savez(folder / "text_model.npz", **arrays)

    @classmethod
    def load(cls, folder: Path) -> "TextModel":
        meta = json.loads((folder / "text_model.json").read_text())
        arrays = np.load(folder / "text_model.npz", allow_pickle=False)
        options = Options(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["options"].items()})
        vectorizers = _vectorizers(options)
        for vectorizer, vocabulary, idf in zip(vectorizers, meta["vocabularies"],
                                               (arrays["idf_word"], arrays["idf_char"])):
            vectorizer.vocabulary_ = vocabulary
            vectorizer.idf_ = idf
        normaliser = SpellingNormaliser(meta["spelling"]) if meta["spelling"] is not None else None

        def regression(coef: np.ndarray, intercept: np.ndarray) -> LogisticRegression:
            loaded = LogisticRegression()
            loaded.classes_ = np.array(meta["classes"], dtype=object)
            loaded.coef_, loaded.intercept_ = coef, intercept
            return loaded

        fitted = Fitted(options, normaliser, vectorizers, regression(arrays["coef"], arrays["intercept"]))
        deep = None
        if "deep_boundary" in meta:
            deep = (Fitted(options, normaliser, vectorizers, regression(arrays["deep_coef"], arrays["deep_intercept"]),
                           meta["dense_dimensions"]), meta["deep_boundary"])
        return cls(fitted, meta["boundary"], deep, meta.get("sure"))
