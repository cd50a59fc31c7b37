"""The company's own texts (its terms, its refund FAQ) as passages a question can be answered from.

Pure: the texts come in as strings and the similarities as numbers (an adapter reads the files
and runs the sentence encoder). A document is split at its headings: where it numbers them
("6. User Data and Content"), at those only; otherwise at every short line that is not a
sentence ("Policy Overview", "What if I canceled a day late?"). A passage is a heading and the
sentences under it; a bullet becomes a sentence of its own, joined to the line that introduces
it ("You agree not to use the Service to:" + "- Share your account credentials ..."), so that a
bullet quoted alone still says what it means.

The encoder reads each passage as units: its heading alone, the questions the support team
wrote down that it answers (customers ask in words the texts never use: "can my assistant use my
login" for "share your account credentials"), and each sentence under its heading.
A question is answered from the passage whose units are most like it (the mean of its two
nearest), when the answer's confidence reaches the threshold `make bench-nlu` learns from labelled
questions (bench/knowledge.py). The confidence is that passage's lead over the next one, and over
the questions the team knows the texts do not answer: measured, a close second is where wrong
answers come from (a similarity alone never separated right from wrong at 90 % precision). A
question nearer to one the texts do not answer, or below the threshold, gets no quote: the
assistant says what it can help with and offers a person.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import yaml

NUMBERED_HEADING = re.compile(r"^(\d{1,3})\.\s+(\S.{0,100})$")
BULLET = re.compile(r"^\s*[-*•]\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z])")
LONGEST_HEADING_WORDS = 16
# A line ending so is a sentence (or a lead-in to bullets), never a heading.
SENTENCE_PUNCTUATION = ".:;,"
# Sentences quoted beside the best one: those nearly as close to the question, in the text's order.
QUOTED_AT_MOST = 2
NEARLY_AS_CLOSE = 0.05
NEAREST_UNITS = 2  # a passage is as near as the mean of its this many nearest units
# Which of a passage's sentences to quote is the encoder's call, and each word the question shares
# with a sentence adds this much: "do you guarantee the service is always up?" is answered by the
# sentence that says "does not guarantee", which the encoder put just behind "may be temporarily
# unavailable". Words are compared by their stems' beginnings ("owns" and "ownership").
SHARED_WORD_BONUS = 0.04
# A message this short ("Eve", a signature) embeds as noise near some passage: it is answered only
# when it shares a word with the passage ("privacy?", "refunds").
FEW_WORDS = 2
_WORD = re.compile(r"[a-z]+")
_NOT_CONTENT = frozenset("""about after also any are because been before being can could did does doing down from
    have having here into just like more most much once only other over same should some such than that their
    them then there these they this those through under very were what when where which while will with would
    your yours you our ours who whom whose how why the and for not all get got""".split())


class KnowledgeError(ValueError):
    pass


@dataclass(frozen=True)
class Passage:
    key: str                    # "terms/6", "faq/what-if-i-canceled-a-day-late": what labelled questions name
    called: str                 # the document as customers read its name: "our terms"
    number: str | None          # the section's number, where the document numbers them
    heading: str | None         # None: the text before the document's first heading
    sentences: tuple[str, ...]
    questions: tuple[str, ...] = ()  # what customers ask that it answers, in their words

    def units(self) -> tuple[str, ...]:
        """What the encoder reads of the passage: its heading, the questions it answers, then each
        sentence under its heading (which says what the sentence is about). The sentences come
        last: `choose` quotes from their similarities."""
        if not self.heading:
            return (*self.questions, *self.sentences)
        return (self.heading, *self.questions, *(f"{self.heading}: {sentence}" for sentence in self.sentences))


@dataclass(frozen=True)
class Answer:
    passage: Passage
    sentences: tuple[str, ...]  # the passage's sentences that answer, in the text's order
    confidence: float


@dataclass(frozen=True)
class KnowledgeBase:
    passages: tuple[Passage, ...]
    threshold: float            # the least confidence answered from
    not_answered: tuple[str, ...] = ()  # questions customers ask that the texts do not answer
    # intent -> the passages its own answer gives (config `intents`): the texts may correct an unsure
    # reading as that intent only with another passage (bot/core/asking.py, texts_may_correct)
    intent_passages: tuple[tuple[str, frozenset[str]], ...] = ()

    def answer(self, similarities: Sequence[Sequence[float]], elsewhere: Sequence[float] = (),
               question: str = "") -> Answer | None:
        return choose(self.passages, similarities, self.threshold, elsewhere, question)


@dataclass(frozen=True)
class Source:
    """One document of the knowledge base, as config/knowledge.yml names it."""
    key: str       # what its passages' keys start with: "terms"
    file: str      # where its text is, relative to the configuration file
    called: str    # its name as customers read it: "our terms"


def parse_config(text: str, *, source: str = "knowledge file") -> tuple[list[Source], float, dict[str, str]]:
    """The documents, the threshold, and the files of questions a knowledge configuration names
    (`questions`: what each passage answers; `not_answered`: what the texts do not)."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{source} is not valid YAML: {str(exc).splitlines()[0]}") from None
    documents, threshold = (data.get("documents"), data.get("threshold")) if isinstance(data, dict) else (None, None)
    if not isinstance(documents, list) or not documents:
        raise KnowledgeError(f"{source}: `documents` lists the texts to answer from (key, file, called)")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise KnowledgeError(f"{source}: `threshold` is a number (make bench-nlu learns it)")
    sources = []
    for entry in documents:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("key", "file", "called")):
            raise KnowledgeError(f"{source}: each document has a key, a file and how customers call it, not {entry!r}")
        sources.append(Source(entry["key"], entry["file"], entry["called"]))
    files = {name: data.get(name) for name in ("questions", "not_answered") if data.get(name) is not None}
    if not all(isinstance(file, str) for file in files.values()):
        raise KnowledgeError(f"{source}: `questions` and `not_answered` name files of questions")
    return sources, float(threshold), files


def parse_not_answered(text: str, *, source: str = "not-answered file") -> tuple[str, ...]:
    """The questions customers ask that the texts do not answer: a list."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{source} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, list) or not all(isinstance(q, str) and q.strip() for q in data):
        raise KnowledgeError(f"{source}: a list of the questions the texts do not answer")
    return tuple(q.strip() for q in data)


def parse_questions(text: str, *, source: str = "questions file") -> dict[str, tuple[str, ...]]:
    """Each passage's key and the questions it answers."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{source} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not all(
            isinstance(key, str) and isinstance(asked, list) and asked and all(isinstance(q, str) and q.strip()
                                                                             for q in asked)
            for key, asked in data.items()):
        raise KnowledgeError(f"{source}: each passage's key names a list of the questions it answers")
    return {key: tuple(q.strip() for q in asked) for key, asked in data.items()}


def parse_intent_passages(text: str, *, source: str = "knowledge file") -> dict[str, frozenset[str]]:
    """A knowledge configuration's `intents`: each intent whose answer is one of the texts' passages,
    and those passages' keys (none: an empty mapping)."""
    data = yaml.safe_load(text) or {}
    named = data.get("intents", {}) if isinstance(data, dict) else {}
    if not isinstance(named, dict) or not all(
            isinstance(intent, str) and isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys)
            for intent, keys in named.items()):
        raise KnowledgeError(f"{source}: `intents` names, for an intent, the list of passages its answer gives")
    return {intent: frozenset(keys) for intent, keys in named.items()}


def knowledge_base(sources: Sequence[Source], texts: Mapping[str, str], threshold: float,
                   questions: Mapping[str, tuple[str, ...]] | None = None,
                   not_answered: Sequence[str] = (),
                   intent_passages: Mapping[str, frozenset[str]] | None = None) -> KnowledgeBase:
    """The passages of every document (`texts`: each source's key to its text), each with the
    questions `questions` lists for its key, the questions the texts do not answer, and the passages
    intents answer with."""
    passages = [p for s in sources for p in split_document(s.key, s.called, texts[s.key])]
    keys = [p.key for p in passages]
    if len(set(keys)) != len(keys):
        raise KnowledgeError("two documents share a key")
    questions, intent_passages = questions or {}, intent_passages or {}
    for what, named in (("questions", set(questions)), ("intents", set().union(*intent_passages.values()))):
        if named - set(keys):
            raise KnowledgeError(f"{what} name passages the texts do not have: {', '.join(sorted(named - set(keys)))}")
    return KnowledgeBase(tuple(replace(p, questions=questions.get(p.key, ())) for p in passages), threshold,
                         tuple(not_answered), tuple(sorted(intent_passages.items())))


def split_document(key: str, called: str, text: str) -> list[Passage]:
    """The passages of one document, in its order; headings with nothing under them are dropped."""
    if not re.fullmatch(r"[a-z0-9-]+", key):
        raise KnowledgeError(f"a document's key is lower-case letters, digits and dashes, not {key!r}")
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    numbered = any(NUMBERED_HEADING.match(line) for line in lines)
    passages: list[Passage] = []
    number, heading, body = None, None, []

    def close() -> None:
        sentences = _sentences(body)
        if sentences:
            section = number or _slug(heading or "introduction")
            passages.append(Passage(f"{key}/{section}", called, number, heading, tuple(sentences)))

    for line in lines:
        found = NUMBERED_HEADING.match(line) if numbered else None
        if found or (not numbered and _is_heading(line)):
            close()
            number, heading = (found.group(1), found.group(2).strip()) if found else (None, line)
            body = []
        else:
            body.append(line)
    close()
    if not passages:
        raise KnowledgeError(f"{called} has no text to answer from")
    keys = [p.key for p in passages]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise KnowledgeError(f"{called} has two sections under one heading: {', '.join(repeated)}")
    return passages


def _is_heading(line: str) -> bool:
    return (bool(line) and not BULLET.match(line) and line[-1] not in SENTENCE_PUNCTUATION
            and len(line.split()) <= LONGEST_HEADING_WORDS)


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "section"


def _sentences(lines: list[str]) -> list[str]:
    """Paragraphs cut into sentences; bullets joined to the sentence that leads into them."""
    sentences: list[str] = []
    lead_in = None
    for line in lines:
        if not line:
            continue
        if BULLET.match(line):
            item = BULLET.sub("", line).rstrip(";")
            sentences.append(_full_stop(f"{lead_in} {_lowered_first(item)}" if lead_in else item))
            continue
        lead_in = None
        found = [_readable(s) for s in SENTENCE_END.split(line) if s.strip()]
        if line.endswith(":"):
            # "You agree to:" leads into its bullets; "Billing:" only names them (every word capitalised).
            last = found.pop()[:-1]
            if not all(word[:1].isupper() for word in last.split()):
                lead_in = last
        sentences.extend(found)
    return sentences


def _full_stop(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?" else sentence + "."


def _lowered_first(text: str) -> str:
    """'Provide accurate information' -> 'provide accurate information'; 'API' or 'CustomerTrackr' kept."""
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if len(first) > 1 and first[1:].islower() else text


def _readable(sentence: str) -> str:
    """A sentence written in capitals (disclaimers often are) in sentence case; names with
    capitals inside ("CustomerTrackr") kept as written."""
    words = sentence.strip().split(" ")
    shouted = [word for word in words if len(word) > 1 and word.isupper()]
    if len(shouted) < 0.6 * len(words):
        return sentence.strip()
    text = re.sub(r"'S\b", "'s", " ".join(word.lower() if word.isupper() else word for word in words))
    first = next((i for i, c in enumerate(text) if c.isalpha()), 0)
    return text[:first] + text[first].upper() + text[first + 1:]


def choose(passages: Sequence[Passage], similarities: Sequence[Sequence[float]], threshold: float,
           elsewhere: Sequence[float] = (), question: str = "") -> Answer | None:
    """The answer to a question from its similarity to each unit of each passage
    (`similarities[i][j]`: passage i's unit j, as `Passage.units` lists them) and to each question
    the texts do not answer (`elsewhere`), or None when such a question is nearer than any passage
    or the confidence is below `threshold`.

    A passage is as near as the mean of its two nearest units (one close wording alone is often a
    coincidence; with dozens of questions a passage answers, the right one has several); the
    confidence is the nearest passage's lead over the next one, or over the questions the texts
    do not answer, whichever is nearer. A message of a word or two is answered only when it shares
    a word with the passage."""
    if len(similarities) != len(passages) or any(len(s) != len(p.units()) for p, s in zip(passages, similarities)):
        raise ValueError("one similarity for each unit of each passage")
    if not passages:
        return None
    near = [_nearness(scores) for scores in similarities]
    index = max(range(len(passages)), key=near.__getitem__)
    not_here = _nearness(elsewhere) if elsewhere else float("-inf")
    if not_here >= near[index]:
        return None
    runner_up = max((score for i, score in enumerate(near) if i != index), default=float("-inf"))
    confidence = near[index] - max(runner_up, not_here)
    if confidence < threshold or (question and not _says_enough(question, passages[index])):
        return None
    return Answer(passages[index], _quoted(passages[index], similarities[index], question), confidence)


def _says_enough(question: str, passage: Passage) -> bool:
    """Whether a question is long enough to be placed by meaning alone, or shares a word with the passage."""
    if len(_WORD.findall(question.lower())) > FEW_WORDS:
        return True
    return _shared(_stems(question), set().union(*(_stems(unit) for unit in passage.units()))) > 0


def quoted_for(answer: Answer, passages: Sequence[Passage], similarities: Sequence[Sequence[float]],
               question: str = "") -> Answer:
    """The same passage, quoted where it answers another question (`similarities`, as `choose`
    reads them): a follow-up ("and what happens if I do it anyway?") is placed in the passage by
    the question it follows, and answered by the sentences nearest its own words."""
    index = passages.index(answer.passage)
    return Answer(answer.passage, _quoted(answer.passage, similarities[index], question), answer.confidence)


def _quoted(passage: Passage, unit_scores: Sequence[float], question: str = "") -> tuple[str, ...]:
    asked = _stems(question)
    scores = [score + SHARED_WORD_BONUS * _shared(asked, _stems(sentence)) for score, sentence in
              zip(list(unit_scores)[len(passage.units()) - len(passage.sentences):], passage.sentences)]
    nearest = sorted(range(len(scores)), key=lambda j: -scores[j])
    quoted = sorted(j for j in nearest[:QUOTED_AT_MOST] if scores[j] >= scores[nearest[0]] - NEARLY_AS_CLOSE)
    return tuple(passage.sentences[j] for j in quoted)


def _stems(text: str) -> set[str]:
    """The content words of a text, each cut to its first five letters after a plural's "s"."""
    words = (word for word in _WORD.findall(text.lower()) if len(word) >= 4 and word not in _NOT_CONTENT)
    return {(word[:-1] if word.endswith("s") and not word.endswith("ss") else word)[:5] for word in words}


def _shared(asked: set[str], said: set[str]) -> int:
    """How many of the question's words the sentence has, a stem matching another's beginning."""
    return sum(1 for stem in asked if any(other.startswith(stem) or stem.startswith(other) for other in said))


def _nearness(scores: Sequence[float]) -> float:
    """The mean of the two highest similarities (the only one, if there is one)."""
    top = sorted(scores, reverse=True)[:NEAREST_UNITS]
    return sum(top) / len(top)


def answer_text(answer: Answer) -> str:
    """What the customer reads: where it is written, then the sentences themselves."""
    passage = answer.passage
    if passage.number and passage.heading:
        where = f"{passage.called}, section {passage.number} ({passage.heading})"
    elif passage.heading:
        where = f"{passage.called}, \u201c{passage.heading}\u201d"
    else:
        where = passage.called
    return f"From {where}: {' '.join(answer.sentences)}"
