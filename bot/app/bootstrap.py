"""Start-up wiring: the handlers for what the lower layers publish (bot/billing/events.py).

Every entry point calls `bootstrap()` before it works: the `bot` command, the action
server, the console, and the tests. Calling it twice subscribes nothing twice.
"""
from __future__ import annotations

from bot.app.cases import follow_up_failed_movement, open_ticket_for_returned_refund
from bot.billing import events


def bootstrap() -> None:
    events.subscribe(events.RefundReturned, open_ticket_for_returned_refund)
    events.subscribe(events.MovementFailed, follow_up_failed_movement)
