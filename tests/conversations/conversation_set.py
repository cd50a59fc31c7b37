"""The conversation set's files, read and checked before anything runs (the format is in
runner.py's docstring). A mistake in a file is a ConversationSetError naming the file,
the conversation and the key, never a conversation that silently checks less."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SET_FOLDER = HERE / "classes"

CHANNELS = ("widget", "email", "rest")
OFFERS = {"refund": "refund", "cancel": "cancel_at_period_end", "plan": "plan_change", "none": None}
CASES = ("opened", "none", "refund", "credit", "ticket", "handoff")
MOVED = {"nothing": None, "refund": "refund", "cancellation": "cancel", "plan_change": "plan_change"}
# Facts of the conversation's customer that expectations may name: {date:FIELD}, {days_until:FIELD}.
FACTS = ("trial_end", "current_period_end", "last_charge", "incident_start", "incident_end")
TEMPLATE = re.compile(r"\{(date|days_until):([a-z_]+)\}")
TURN_KEYS = {"say", "press", "says", "not_says", "answers", "offers", "buttons_include", "buttons_exclude", "case",
             "moved", "new_words"}
CONVERSATION_KEYS = {"id", "channel", "customer", "signed_in", "locale", "timezone", "subject", "turns", "why"}
CONVERSATION_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,40}")


class ConversationSetError(ValueError):
    pass


@dataclass(frozen=True)
class Turn:
    say: str | None = None
    press: str | None = None
    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    offers: str | None = None
    buttons_include: tuple[str, ...] = ()
    buttons_exclude: tuple[str, ...] = ()
    case: str | None = None
    moved: str | None = None
    new_words: bool = False

    @property
    def words(self) -> str:
        return self.say if self.say is not None else f"[presses {self.press!r}]"


@dataclass(frozen=True)
class Conversation:
    id: str
    group: str            # the class it belongs to: "1" ... "11", or "earlier"
    title: str            # the class's title
    channel: str
    turns: tuple[Turn, ...]
    customer: str | None = None  # who writes: a seeded customer, or (email) any sender
    signed_in: bool = True       # widget/rest: with the host app's token for `customer`
    locale: str | None = None
    timezone: str | None = None
    subject: str = "Question"
    why: str = ""
    source: str = field(default="", compare=False)

    def touches_account(self) -> bool:
        """Whether it can change what another conversation of the same customer would see."""
        return any((t.offers not in (None, "none")) or (t.moved not in (None, "nothing"))
                   or (t.case not in (None, "none")) for t in self.turns)


def load_set(folder: Path = SET_FOLDER, seeded: set[str] | None = None) -> list[Conversation]:
    """Every conversation in `folder`'s YAML files, checked; `seeded` are the seed's emails."""
    conversations = []
    for path in sorted(folder.glob("*.yml")):
        conversations += _load_file(path)
    _check_set(conversations, seeded)
    return conversations


def seeded_emails(seed: Path) -> set[str]:
    """The seed's customers; a customer or a charge written twice is refused (loaded, the second
    would quietly replace the first under another conversation)."""
    customers = yaml.safe_load(seed.read_text())["customers"]
    emails = [c["email"].lower() for c in customers]
    charges = [charge["id"] for c in customers for charge in c.get("charges") or []]
    twice = sorted({name for names in (emails, charges) for name in names if names.count(name) > 1})
    if twice:
        raise ConversationSetError(f"{seed.name}: {', '.join(twice)} seeded more than once")
    return set(emails)


def _load_file(path: Path) -> list[Conversation]:
    data = yaml.safe_load(path.read_text())
    where = path.name
    if not isinstance(data, dict) or not {"class", "title", "conversations"} <= set(data):
        raise ConversationSetError(f"{where}: needs 'class', 'title' and 'conversations'")
    return [_conversation(raw, str(data["class"]), data["title"], f"{where}: conversation #{i}")
            for i, raw in enumerate(data["conversations"], start=1)]


def _conversation(raw: dict, group: str, title: str, where: str) -> Conversation:
    if not isinstance(raw, dict):
        raise ConversationSetError(f"{where}: expected a mapping")
    where = f"{where.split(':')[0]}: {raw.get('id', where)}"
    unknown = set(raw) - CONVERSATION_KEYS
    if unknown:
        raise ConversationSetError(f"{where}: unknown keys {sorted(unknown)}")
    if not CONVERSATION_ID.fullmatch(str(raw.get("id", ""))):
        raise ConversationSetError(f"{where}: 'id' must be 3-41 lowercase letters, digits or dashes")
    if raw.get("channel") not in CHANNELS:
        raise ConversationSetError(f"{where}: 'channel' must be one of {CHANNELS}")
    if raw["channel"] == "email" and not raw.get("customer"):
        raise ConversationSetError(f"{where}: an email conversation needs 'customer' (the sender)")
    turns = raw.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ConversationSetError(f"{where}: 'turns' must list at least one turn")
    return Conversation(
        id=raw["id"], group=group, title=title, channel=raw["channel"],
        turns=tuple(_turn(t, f"{where} turn {n}", raw["channel"], first=n == 1) for n, t in enumerate(turns, 1)),
        customer=str(raw["customer"]).lower() if raw.get("customer") else None,
        signed_in=bool(raw.get("signed_in", True)), locale=raw.get("locale"), timezone=raw.get("timezone"),
        subject=raw.get("subject", "Question"), why=raw.get("why", ""), source=where)


def _turn(raw: dict, where: str, channel: str, *, first: bool) -> Turn:
    if not isinstance(raw, dict) or set(raw) - TURN_KEYS:
        raise ConversationSetError(f"{where}: a mapping with keys from {sorted(TURN_KEYS)}")
    if ("say" in raw) == ("press" in raw):
        raise ConversationSetError(f"{where}: exactly one of 'say' and 'press'")
    if "press" in raw and (first or channel == "email"):
        raise ConversationSetError(f"{where}: 'press' needs a previous reply with buttons (not email)")
    for key, options in (("offers", OFFERS), ("case", CASES), ("moved", MOVED)):
        if key in raw and raw[key] not in options:
            raise ConversationSetError(f"{where}: '{key}' must be one of {list(options)}")
    patterns = {key: tuple(_patterns(raw.get(key, []), f"{where} {key}"))
                for key in ("says", "not_says", "answers", "buttons_include", "buttons_exclude")}
    if len(patterns["answers"]) == 1:
        raise ConversationSetError(f"{where}: 'answers' lists one fact per question, so at least two")
    return Turn(say=None if raw.get("say") is None else str(raw["say"]), press=raw.get("press"),
                offers=raw.get("offers"), case=raw.get("case"), moved=raw.get("moved"),
                new_words=bool(raw.get("new_words", False)), **patterns)


def _patterns(value, where: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list):
        raise ConversationSetError(f"{where}: a list of regular expressions")
    for pattern in value:
        for _kind, fact in TEMPLATE.findall(str(pattern)):
            if fact not in FACTS:
                raise ConversationSetError(f"{where}: unknown fact {fact!r} (known: {', '.join(FACTS)})")
        try:
            re.compile(TEMPLATE.sub("x", str(pattern)))
        except re.error as problem:
            raise ConversationSetError(f"{where}: {pattern!r} is not a regular expression: {problem}") from None
    return [str(p) for p in value]


def _check_set(conversations: list[Conversation], seeded: set[str] | None) -> None:
    ids = [c.id for c in conversations]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConversationSetError(f"conversation ids used twice: {twice}")
    by_customer: dict[str, list[Conversation]] = {}
    for conversation in conversations:
        if conversation.customer:
            by_customer.setdefault(conversation.customer, []).append(conversation)
        needs_seed = conversation.channel != "email" and conversation.customer
        if seeded is not None and needs_seed and conversation.customer not in seeded:
            raise ConversationSetError(f"{conversation.source}: customer {conversation.customer} is not in the seed")
        templated = any(TEMPLATE.search(p) for t in conversation.turns for p in t.says + t.answers + t.not_says)
        if seeded is not None and templated and conversation.customer not in seeded:
            raise ConversationSetError(f"{conversation.source}: facts like {{date:...}} need a seeded customer")
    for customer, theirs in by_customer.items():
        if len(theirs) > 1 and any(c.touches_account() for c in theirs):
            raise ConversationSetError(
                f"{customer} is in {', '.join(c.id for c in theirs)}: a conversation that may open a case, "
                "make an offer or move money needs a customer no other conversation touches")
