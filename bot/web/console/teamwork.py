"""Working a case together: assigning it to a teammate or back to the queue, internal
notes, and the team's canned replies."""
from __future__ import annotations

import asyncio

from aiohttp import web

from bot.app import canned_replies
from bot.app.case_decisions import CaseError, add_note, assign, unassign
from bot.clock import now_utc
from bot.web.console.views import case_id, render

routes = web.RouteTableDef()


@routes.post("/cases/{case_id}/assign")
async def assign_case(request: web.Request) -> web.Response:
    form = await request.post()
    to = str(form.get("to", "")).strip()
    return await _act(request, "assigned", assign, to or request["agent"])


@routes.post("/cases/{case_id}/unassign")
async def unassign_case(request: web.Request) -> web.Response:
    return await _act(request, "unassigned", unassign)


@routes.post("/cases/{case_id}/notes")
async def note(request: web.Request) -> web.Response:
    form = await request.post()
    return await _act(request, "noted", add_note, str(form.get("note", "")), anchor="#notes")


async def _act(request: web.Request, done: str, action, *args, anchor: str = "") -> web.Response:
    number = case_id(request)
    try:
        await asyncio.to_thread(action, number, request["agent"], *args, now=now_utc(), engine=request.app["engine"])
    except CaseError as exc:
        return await request.app["case_page"](request, error=str(exc), status=409)
    raise web.HTTPSeeOther(f"/cases/{number}?done={done}{anchor}")


@routes.get("/replies")
async def replies_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    replies = await asyncio.to_thread(canned_replies.all_replies, engine=request.app["engine"])
    return render(request, "replies.html", status=status, replies=replies, error=error,
                  variables=canned_replies.VARIABLES, done=request.query.get("done"))


@routes.post("/replies")
async def add_reply(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await asyncio.to_thread(canned_replies.add, str(form.get("title", "")), str(form.get("body", "")),
                                agent=request["agent"], now=now_utc(), engine=request.app["engine"])
    except canned_replies.CannedReplyError as exc:
        return await replies_page(request, error=str(exc), status=400)
    raise web.HTTPSeeOther("/replies?done=added")


@routes.post("/replies/{reply_id}/delete")
async def delete_reply(request: web.Request) -> web.Response:
    try:
        reply = int(request.match_info["reply_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    await asyncio.to_thread(canned_replies.delete, reply, engine=request.app["engine"])
    raise web.HTTPSeeOther("/replies?done=deleted")
