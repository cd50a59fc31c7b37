"""Reading the knowledge base's configuration (config/knowledge.yml): which texts, the threshold,
the files of questions each passage answers and of those the texts do not, and which passages an
intent's own answer gives; and building the knowledge base from them. Pure: texts in, the base out."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import yaml

from bot.core.knowledge import KnowledgeBase, KnowledgeError, split_document


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


def parse_floor(text: str, *, source: str = "knowledge file") -> float:
    """A knowledge configuration's `floor`: the least similarity for a message to be placed at all
    (none: any)."""
    data = yaml.safe_load(text) or {}
    floor = data.get("floor") if isinstance(data, dict) else None
    if floor is not None and (isinstance(floor, bool) or not isinstance(floor, (int, float))):
        raise KnowledgeError(f"{source}: `floor` is a number (make bench-nlu learns it)")
    return float("-inf") if floor is None else float(floor)


def knowledge_base(sources: Sequence[Source], texts: Mapping[str, str], threshold: float,
                   questions: Mapping[str, tuple[str, ...]] | None = None,
                   not_answered: Sequence[str] = (),
                   intent_passages: Mapping[str, frozenset[str]] | None = None,
                   floor: float = float("-inf")) -> KnowledgeBase:
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
                         tuple(not_answered), tuple(sorted(intent_passages.items())), floor)
