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
question nearer to one the texts do not answer, or below the threshold, gets no quote. Nearer to
one of those by the threshold, it was understood: the assistant says the texts don't answer it and
offers a person, rather than asking to hear it again in other words.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
    nearness: float = 0.0       # how similar the question is to the passage (what `floor` is compared with)


@dataclass(frozen=True)
class KnowledgeBase:
    passages: tuple[Passage, ...]
    threshold: float            # the least confidence answered from
    not_answered: tuple[str, ...] = ()  # questions customers ask that the texts do not answer
    # intent -> the passages its own answer gives (config `intents`): the texts may correct an unsure
    # reading as that intent only with another passage (bot/core/asking.py, texts_may_correct)
    intent_passages: tuple[tuple[str, frozenset[str]], ...] = ()
    # The least similarity to the nearest of what the team wrote down (a passage's units, or a question
    # the texts do not answer) for a message to be placed at all: "is the iphone 15 worth upgrading"
    # leads on the terms' section 4 by chance, at a similarity no customer's question has.
    floor: float = float("-inf")

    def answer(self, similarities: Sequence[Sequence[float]], elsewhere: Sequence[float] = (),
               question: str = "") -> Answer | None:
        return choose(self.passages, similarities, self.threshold, elsewhere, question, self.floor)

    def not_in_texts(self, similarities: Sequence[Sequence[float]], elsewhere: Sequence[float],
                     question: str) -> str | None:
        """The question the support team wrote down as one the texts do not answer that `question`
        asks: "can I transfer my account to a colleague?" is understood, and saying it another way
        would not help. None when it is under the floor ("what's the weather in paris" leads on them by
        chance) or not near them."""
        nearest = self.nearest_not_answered(similarities, elsewhere, question)
        return nearest[0] if nearest and nearest[1] >= self.floor else None

    def nearest_not_answered(self, similarities: Sequence[Sequence[float]], elsewhere: Sequence[float],
                             question: str) -> tuple[str, float] | None:
        """The written-down question the texts do not answer nearest to `question`, and its
        similarity, when those questions lead every passage by the answering threshold; None
        otherwise (a short message must share a word with it: "asdfgh qwerty" asks nothing)."""
        if not elsewhere or len(elsewhere) != len(self.not_answered):
            return None
        nearest = max(range(len(elsewhere)), key=elsewhere.__getitem__)
        lead = _nearness(elsewhere) - max((_nearness(scores) for scores in similarities), default=float("-inf"))
        asked = self.not_answered[nearest]
        if lead < self.threshold or (len(_WORD.findall(question.lower())) <= FEW_WORDS and
                                     not _shared(_stems(question), _stems(asked))):
            return None
        return asked, elsewhere[nearest]


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
           elsewhere: Sequence[float] = (), question: str = "", floor: float = float("-inf")) -> Answer | None:
    """The answer to a question from its similarity to each unit of each passage
    (`similarities[i][j]`: passage i's unit j, as `Passage.units` lists them) and to each question
    the texts do not answer (`elsewhere`), or None when such a question is nearer than any passage
    or the confidence is below `threshold`, or the nearest passage is less near than `floor`.

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
    if not_here >= near[index] or near[index] < floor:
        return None
    runner_up = max((score for i, score in enumerate(near) if i != index), default=float("-inf"))
    confidence = near[index] - max(runner_up, not_here)
    if confidence < threshold or (question and not _says_enough(question, passages[index])):
        return None
    return Answer(passages[index], _quoted(passages[index], similarities[index], question), confidence, near[index])


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
    return replace(answer, sentences=_quoted(answer.passage, similarities[index], question))


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


def not_in_texts_reply(base: KnowledgeBase) -> str:
    """What a customer reads when their question is one the texts are known not to answer."""
    texts = " or ".join(dict.fromkeys(passage.called for passage in base.passages)) or "our texts"
    return (f"That isn't something {texts} cover, so I can't answer it myself; a person from our support team "
            "can. Would you like me to pass you to them?")
