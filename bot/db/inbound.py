"""Signed inbound webhooks (mail, Slack) are handled once: each delivery's id is kept,
and a second delivery with the same id, a replay or a provider's retry, is refused."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.db import models
from bot.db.session import unit_of_work


class AlreadyReceived(PermissionError):
    pass


def receive_once(source: str, delivery_id: str, *, now: datetime, engine=None) -> None:
    if not delivery_id:
        raise AlreadyReceived(f"{source}: a delivery without an id cannot be checked for replays")
    try:
        with unit_of_work(engine) as session:
            session.add(models.InboundToken(source=source, token=delivery_id, seen_at=now))
    except IntegrityError:
        raise AlreadyReceived(f"{source}: this delivery was already received") from None
