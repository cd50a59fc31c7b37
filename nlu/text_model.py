"""Word and character n-gram TF-IDF with logistic regression, plus the confidence below which
a message belongs to none of the intents, learned from the training data itself.

The boundary is learned by leaving intents out: in each of `folds` cross-validation folds a
fifth of the intents is hidden from training, their held-out examples stand for messages
about something else, and the threshold that separates best (Matthews correlation over
intents plus "none") wins. Confidences are then rescaled so that boundary is always
`BOUNDARY`, so one FallbackClassifier threshold fits any training data (ours, or a benchmark's).
Persisted as plain arrays and JSON: nothing is unpickled when a model loads.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef
from sklearn.model_selection import StratifiedKFold

from nlu.spelling import SpellingNormaliser

BOUNDARY = 0.5
NONE_OF_THEM = "\0none"   # stands for hidden intents while the boundary is learned
CANDIDATE_BOUNDARIES = np.round(np.arange(0.05, 0.951, 0.025), 3)


@dataclass(frozen=True)
class Options:
    C: float = 10.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 4)
    spelling: bool = True
    folds: int = 5
    max_iter: int = 2000


def _vectorizers(options: Options) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    return (TfidfVectorizer(ngram_range=tuple(options.word_ngrams), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(options.char_ngrams), sublinear_tf=True))


class Fitted:
    """Normaliser, vectorizers and regression, without a boundary."""

    def __init__(self, options: Options, normaliser: SpellingNormaliser | None,
                 vectorizers: tuple[TfidfVectorizer, TfidfVectorizer], regression: LogisticRegression):
        self.options, self.normaliser, self.vectorizers, self.regression = options, normaliser, vectorizers, regression
        # What one message needs of each vectorizer (probabilities_of): its analyzer, vocabulary, idf.
        self._single = [(v.build_analyzer(), v.vocabulary_, v.idf_) for v in vectorizers]

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], options: Options) -> "Fitted":
        normaliser = SpellingNormaliser.learn(texts) if options.spelling else None
        vectorizers = _vectorizers(options)
        prepared = [normaliser.normalise(t) if normaliser else t for t in texts]
        features = sp.hstack([v.fit_transform(prepared) for v in vectorizers]).tocsr()
        regression = LogisticRegression(C=options.C, class_weight="balanced", max_iter=options.max_iter)
        regression.fit(features, labels)
        return cls(options, normaliser, vectorizers, regression)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        prepared = [self.normaliser.normalise(t) if self.normaliser else t for t in texts]
        return self.regression.predict_proba(sp.hstack([v.transform(prepared) for v in self.vectorizers]).tocsr())

    def probabilities_of(self, text: str) -> np.ndarray:
        """`probabilities([text])[0]`, for the one message of a turn: scikit-learn's checks and
        sparse matrices cost ten times the arithmetic for a single row, so the same arithmetic
        (tf-idf with sublinear tf and l2 norm per vectorizer, then softmax of the linear scores)
        is done directly. Two intents (a one-row model) go the general way."""
        regression = self.regression
        if regression.coef_.shape[0] == 1:
            return self.probabilities([text])[0]
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
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()


def learn_boundary(texts: list[str], labels: list[str], options: Options, seed: int = 0) -> float | None:
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
        model = Fitted.fit(list(texts_[known]), list(labels_[known]), options)
        probabilities = model.probabilities(list(texts_[test]))
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


class TextModel:
    def __init__(self, fitted: Fitted, boundary: float):
        self.fitted, self.boundary = fitted, boundary

    @classmethod
    def train(cls, texts: list[str], labels: list[str], options: Options) -> "TextModel":
        boundary = learn_boundary(texts, labels, options)
        return cls(Fitted.fit(texts, labels, options), BOUNDARY if boundary is None else boundary)

    def rank(self, text: str) -> list[tuple[str, float]]:
        confidences = rescale(self.fitted.probabilities_of(text), self.boundary)
        order = np.argsort(-confidences, kind="stable")
        return [(str(self.fitted.regression.classes_[i]), float(confidences[i])) for i in order]

    def save(self, folder: Path) -> None:
        fitted = self.fitted
        meta = {"options": fitted.options.__dict__, "boundary": self.boundary,
                "classes": [str(c) for c in fitted.regression.classes_],
                "vocabularies": [{k: int(v) for k, v in vec.vocabulary_.items()} for vec in fitted.vectorizers],
                "spelling": fitted.normaliser.counts if fitted.normaliser else None}
        (folder / "text_model.json").write_text(json.dumps(meta))
        np.savez(folder / "text_model.npz", coef=fitted.regression.coef_, intercept=fitted.regression.intercept_,
                 idf_word=fitted.vectorizers[0].idf_, idf_char=fitted.vectorizers[1].idf_)

    @classmethod
    def load(cls, folder: Path) -> "TextModel":
        meta = json.loads((folder / "text_model.json").read_text())
        arrays = np.load(folder / "text_model.npz", allow_pickle=False)
        options = Options(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["options"].items()})
        vectorizers = _vectorizers(options)
        for vectorizer, vocabulary, idf in zip(vectorizers, meta["vocabularies"], (arrays["idf_word"], arrays["idf_char"])):
            vectorizer.vocabulary_ = vocabulary
            vectorizer.idf_ = idf
        regression = LogisticRegression()
        regression.classes_ = np.array(meta["classes"], dtype=object)
        regression.coef_, regression.intercept_ = arrays["coef"], arrays["intercept"]
        normaliser = SpellingNormaliser(meta["spelling"]) if meta["spelling"] is not None else None
        return cls(Fitted(options, normaliser, vectorizers, regression), meta["boundary"])
