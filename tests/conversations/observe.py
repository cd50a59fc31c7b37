"""What a turn did besides its words, read where it is recorded: the app database (money
movements in the ledger, cases opened or joined, offers made) and Rasa's tracker (which
actions answered). Rows are told apart by id, so clocks and other conversations do not
blur a turn: everything with an id above the turn's watermark was written during it."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from bot.db import models
from bot.db.session import make_engine, reading
from bot.ops.processes import Stack


@dataclass(frozen=True)
class Watermark:
    ledger: int
    case_event: int
    offer: int


@dataclass(frozen=True)
class Changes:
    """What one turn wrote for its customer or conversation."""
    moved: tuple[tuple[str, str], ...]    # (ledger kind, status) of each movement written
    cases: tuple[tuple[str, str], ...]    # (case kind, "opened" | "joined" | ...) for each case event
    offers: dict[str, tuple[str, str]]    # offer token -> (kind, status now)


class Observer:
    def __init__(self, stack: Stack):
        self.engine = make_engine(stack.env["DATABASE_URL"])
        self.rasa_url, self.rasa_token = stack.urls["rasa"], stack.env["RASA_AUTH_TOKEN"]

    def close(self) -> None:
        self.engine.dispose()

    def watermark(self) -> Watermark:
        with reading(self.engine) as session:
            def top(column) -> int:
                return session.execute(select(func.coalesce(func.max(column), 0))).scalar_one()
            return Watermark(top(models.LedgerEntry.id), top(models.CaseEvent.id), top(models.Offer.id))

    def customer_id(self, email: str | None) -> int | None:
        if not email:
            return None
        with reading(self.engine) as session:
            return session.execute(select(models.Customer.id).where(models.Customer.email == email)).scalar()

    def since(self, mark: Watermark, *, customer_id: int | None, conversation_id: str | None) -> Changes:
        """The turn's writes: the customer's movements, and the cases and offers of the
        customer or of the conversation (a visitor's case has no customer)."""
        with reading(self.engine) as session:
            moved = session.execute(select(models.LedgerEntry.kind, models.LedgerEntry.status).where(
                models.LedgerEntry.id > mark.ledger, models.LedgerEntry.customer_id == customer_id)
                .order_by(models.LedgerEntry.id)).all() if customer_id else []
            mine = [models.ReviewCase.conversation_id == conversation_id]
            if customer_id:
                mine.append(models.ReviewCase.customer_id == customer_id)
            cases = session.execute(select(models.ReviewCase.kind, models.CaseEvent.action)
                                    .join(models.CaseEvent, models.CaseEvent.case_id == models.ReviewCase.id)
                                    .where(models.CaseEvent.id > mark.case_event, models.CaseEvent.actor == "assistant",
                                           or_(*mine)).order_by(models.CaseEvent.id)).all()
            offers = session.execute(select(models.Offer.token, models.Offer.kind, models.Offer.status).where(
                models.Offer.id > mark.offer, models.Offer.conversation_id == conversation_id)).all()
        return Changes(moved=tuple((str(k), str(s)) for k, s in moved),
                       cases=tuple((str(k), str(a)) for k, a in cases),
                       offers={token: (str(kind), str(status)) for token, kind, status in offers})

    def facts(self, email: str | None) -> dict[str, datetime | None]:
        """The customer's dates that expectations name ({date:trial_end} ...), as stored now."""
        with reading(self.engine) as session:
            customer = session.execute(select(models.Customer).where(models.Customer.email == email)).scalar()
            if customer is None:
                return {}
            sub, charges, incidents = customer.subscription, customer.charges, customer.incidents
            return {"trial_end": sub.trial_end if sub else None,
                    "current_period_end": sub.current_period_end if sub else None,
                    "last_charge": charges[-1].created if charges else None,
                    "incident_start": incidents[-1].start if incidents else None,
                    "incident_end": incidents[-1].end if incidents else None}

    def tracker_events(self, conversation_id: str) -> list[dict]:
        url = (f"{self.rasa_url}/conversations/{urllib.parse.quote(conversation_id, safe='')}/tracker?"
               + urllib.parse.urlencode({"token": self.rasa_token, "include_events": "ALL"}))
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read()).get("events") or []
