"""A case's state in the customer's words: open and with whom, due when; or how it was decided.
Read by "has anyone looked at my case?" and by "where is my refund?" while a person decides it.
Pure: the case's plain facts (bot/app/case_status.py) and `now` in, words out."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.core.formatting import Reader, deadline, money
from bot.core.timeutil import parse_utc


def case_status(state: Mapping, reader: Reader, now: datetime) -> str:
    """Where a case stands, as its customer reads it: open and with whom, due when; or decided."""
    number, due = f"case #{state['case_id']}", deadline(parse_utc(state["due"]), reader, now=now)
    status, who = state["status"], state.get("agent") or "a person from our support team"
    if status == "open" and not state.get("picked_up"):
        return (f"Your {number} is open and waiting in our support team's queue: no one has decided it yet. "
                f"A person will reply here by {due}.")
    if status in ("open", "claimed"):
        return f"{who[0].upper()}{who[1:]} has picked up your {number} and is looking at it; the answer will be " \
               f"here by {due}."
    amount = state.get("decided_amount")
    granted = f" ({money(amount, state['currency'], reader)})" if amount and state.get("currency") else ""
    said = f" They wrote: \"{state['note']}\"" if state.get("note") else ""
    decided = {"approved": f"Your {number} has been approved{granted}.",
               "adjusted": f"Your {number} has been approved with a different amount{granted}.",
               "denied": f"Your {number} has been decided: our team couldn't approve it.",
               "failed": f"Your {number} was approved, but the payment didn't go through; a person is following "
                         "it up and will reply here."}
    return decided.get(status, f"Your {number} has been closed by our support team.") + said
