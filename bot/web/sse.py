"""Server-sent events for the widget and the console, from a cheap poll of the database.

What changes a page is written by other processes (Rasa noting a customer's message, the
action server opening a case, the console telling a customer), and SQLite has no
notifications, so each stream asks a cheap `version()` every POLL seconds and, only when
it changed, builds the event (`payload()`, which may cost a request to Rasa). A stream
ends after LIFETIME, when the client goes, or when the server stops; the browser's
EventSource reconnects by itself (after `retry`), and each new stream starts with the
current state, so nothing is missed across a reconnection.
"""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

from aiohttp import web

POLL, BEAT, LIFETIME = 1.5, 15.0, 300.0
STOP = web.AppKey("sse_stop", asyncio.Event)


def install(app: web.Application) -> None:
    """Open streams end at shutdown instead of holding the server for its whole timeout."""
    async def create(app: web.Application) -> None:
        app[STOP] = asyncio.Event()

    async def stop(app: web.Application) -> None:
        app[STOP].set()
    app.on_startup.append(create)
    app.on_shutdown.append(stop)


async def stream(request: web.Request, *, event: str, version: Callable[[], Awaitable[str]],
                 payload: Callable[[], Awaitable[str]], headers: dict[str, str],
                 on_beat: Callable[[], Awaitable[None]] | None = None,
                 on_close: Callable[[], Awaitable[None]] | None = None) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no", **headers})
    await response.prepare(request)
    stop, started, seen, beat_at = request.app[STOP], time.monotonic(), None, 0.0
    try:
        await response.write(b"retry: 3000\n\n")
        while not stop.is_set() and time.monotonic() - started < LIFETIME and not _gone(request):
            current = await version()
            if current != seen:
                data = await payload()
                await response.write(f"event: {event}\n".encode() + b"".join(
                    b"data: " + line.encode() + b"\n" for line in data.split("\n")) + b"\n")
                seen = current
            if time.monotonic() - beat_at >= BEAT:
                await response.write(b": beat\n\n")  # keeps proxies from closing an idle stream
                beat_at = time.monotonic()
                if on_beat is not None:
                    await on_beat()
            try:
                await asyncio.wait_for(stop.wait(), POLL)
            except asyncio.TimeoutError:
                pass
    except ConnectionResetError:
        pass  # the client went between two polls
    finally:
        if on_close is not None:
            await on_close()
    return response


def _gone(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()
