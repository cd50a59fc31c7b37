"""Start-up wiring, in one place: the handlers for what the lower layers publish
(bot/billing/events.py), and the dependencies the use cases take (bot/app/dependencies.py).

Every entry point calls `bootstrap()` before it works: the `bot` command, the action
server, the console, and the tests. Calling it twice subscribes nothing twice. Tests pass
stand-ins by name (`bootstrap(gateway=lambda: fake, send_mail=outbox.append)`), and call
`bootstrap()` again to return to production's wiring, as cosmicpython's bootstrap does.
"""
from __future__ import annotations

from bot.app.cases import follow_up_failed_movement, open_ticket_for_returned_refund
from bot.app.dependencies import Dependencies, install
from bot.billing import events


def bootstrap(**stand_ins) -> Dependencies:
    events.subscribe(events.RefundReturned, open_ticket_for_returned_refund)
    events.subscribe(events.MovementFailed, follow_up_failed_movement)
    dependencies = Dependencies(**stand_ins)
    install(dependencies)
    return dependencies
