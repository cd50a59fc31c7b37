"""Live console pages: a server-sent event whenever what a page shows may have changed.

The queue and a case page each subscribe (static/console.js); an event carries only a
version, and the page fetches itself again and swaps the parts marked `data-live`, so
there is one way to draw a page, with or without scripts. The versions are read from
the database, where every process writes what changes: cases and their history, and
each conversation's last customer message and last message told to it.
"""
from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.app import handoff
from bot.app.case_decisions import CaseError
from bot.clock import now_utc
from bot.core.statuses import DECIDABLE
from bot.db import models
from bot.db.session import unit_of_work
from bot.web import sse
from bot.web.console.views import HEADERS, case_id

routes = web.RouteTableDef()


def queue_version(engine: Engine | None) -> str:
    case, conversation = models.ReviewCase, models.Conversation
    with unit_of_work(engine) as session:
        last_event = session.execute(select(func.max(models.CaseEvent.id))).scalar()
        count, changed = session.execute(select(func.count(case.id), func.max(case.updated_at))).one()
        written = session.execute(  # a count, not a time: notes of slow turns arrive out of order
            select(func.sum(conversation.customer_messages))
            .join(case, case.conversation_id == conversation.conversation_id)
            .where(case.status.in_(DECIDABLE))).scalar()
    return f"{last_event}|{count}|{changed}|{written}"


def case_version(number: int, engine: Engine | None) -> str:
    with unit_of_work(engine) as session:
        case = session.get(models.ReviewCase, number)
        if case is None:
            return "gone"
        last_event = session.execute(select(func.max(models.CaseEvent.id)).where(
            models.CaseEvent.case_id == number)).scalar()
        chat = session.execute(select(models.Conversation.customer_messages, models.Conversation.last_told_at).where(
            models.Conversation.conversation_id == case.conversation_id)).first() if case.conversation_id else None
        return f"{case.updated_at}|{case.live_agent}|{last_event}|{tuple(chat) if chat else ''}"


@routes.get("/events/queue")
async def queue_events(request: web.Request) -> web.StreamResponse:
    engine = request.app["engine"]

    async def version() -> str:
        return await asyncio.to_thread(queue_version, engine)
    return await sse.stream(request, event="change", version=version, payload=version, headers=HEADERS)


@routes.get("/events/cases/{case_id}")
async def case_events(request: web.Request) -> web.StreamResponse:
    engine, number = request.app["engine"], case_id(request)

    async def version() -> str:
        return await asyncio.to_thread(case_version, number, engine)
    return await sse.stream(request, event="change", version=version, payload=version, headers=HEADERS)


@routes.post("/cases/{case_id}/chat/typing")
async def typing(request: web.Request) -> web.Response:
    """The live agent's composer reports keystrokes (a few seconds apart) for the customer's widget."""
    try:
        await asyncio.to_thread(handoff.typing, case_id(request), request["agent"], now=now_utc(),
                                engine=request.app["engine"])
    except CaseError:
        return web.Response(status=409)
    return web.Response(status=204)
