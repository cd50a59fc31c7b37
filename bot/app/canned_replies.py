"""Replies agents reuse, with variables filled in from the case they answer.

A variable is a name in braces: {first_name}, {name}, {email}, {case_number}, {agent},
{brand}. One the case cannot fill (no customer identified) or an unknown name stays as
written, so the agent sees it in the composer before anything is sent.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import models
from bot.db.session import unit_of_work

VARIABLES = ("first_name", "name", "email", "case_number", "agent", "brand")
VARIABLE = re.compile(r"\{([a-z_]+)\}")
TITLE_LIMIT, BODY_LIMIT = 120, 2000


class CannedReplyError(ValueError):
    pass


def expand(body: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values.get(m.group(1)) or m.group(0), body)


def values_for(*, case_id: int, customer_name: str | None, email: str | None, agent: str, brand: str) -> dict:
    name = (customer_name or "").strip()
    return {"first_name": name.split()[0] if name else "", "name": name, "email": email or "",
            "case_number": f"#{case_id}", "agent": agent, "brand": brand}


def all_replies(*, engine: Engine | None = None) -> list[dict]:
    with unit_of_work(engine) as session:
        return [{"id": r.id, "title": r.title, "body": r.body, "created_by": r.created_by}
                for r in session.execute(select(models.CannedReply).order_by(models.CannedReply.title)).scalars()]


def checked(title: str, body: str) -> tuple[str, str]:
    """The reply's title and text, trimmed; CannedReplyError when one is empty or too long, or
    the text names a variable no case can fill (the console's form and seed files alike)."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise CannedReplyError("give the reply a title and a text")
    if len(title) > TITLE_LIMIT or len(body) > BODY_LIMIT:
        raise CannedReplyError(f"keep the title under {TITLE_LIMIT} and the text under {BODY_LIMIT} characters")
    unknown = sorted(set(VARIABLE.findall(body)) - set(VARIABLES))
    if unknown:
        raise CannedReplyError(f"unknown variable {{{unknown[0]}}}; use one of "
                               + ", ".join(f"{{{v}}}" for v in VARIABLES))
    return title, body


def add(title: str, body: str, *, agent: str, now: datetime, engine: Engine | None = None) -> int:
    title, body = checked(title, body)
    try:
        with unit_of_work(engine) as session:
            reply = models.CannedReply(title=title, body=body, created_by=agent, created_at=now)
            session.add(reply)
            session.flush()
            return reply.id
    except IntegrityError:
        raise CannedReplyError(f"there is already a reply called {title!r}") from None


def delete(reply_id: int, *, engine: Engine | None = None) -> None:
    with unit_of_work(engine) as session:
        reply = session.get(models.CannedReply, reply_id)
        if reply is not None:
            session.delete(reply)
