"""The corpus of inbound mails (tests/support/mail): each mail with the questions the
splitter must find and whether it asks for something that opens a case."""
from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import yaml

from bot.email.channel import body_text

FOLDER = Path(__file__).resolve().parent / "mail"


@dataclass(frozen=True)
class CorpusMail:
    file: str
    format: str
    raw: bytes
    questions: list[str]
    asks_for_case: bool

    def body(self) -> str:
        """The body as text, the way the channel reads it (HTML-only mail converted)."""
        return body_text(message_from_bytes(self.raw, policy=email_policy.default))


def corpus() -> list[CorpusMail]:
    index = yaml.safe_load((FOLDER / "index.yml").read_text())
    return [CorpusMail(file=entry["file"], format=entry["format"], raw=(FOLDER / entry["file"]).read_bytes(),
                       questions=entry["questions"], asks_for_case=entry.get("asks_for_case", False))
            for entry in index]
