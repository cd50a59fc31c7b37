"""What the widget does around its messages: the conversation as it shows it (messages
with times and people's names, who from the team is there and typing, what can be rated,
the welcome), pushed by server-sent events while a page has the widget, ratings, and a
copy by email."""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

from bot.app.chats import ChatError
from bot.clock import now_utc
from bot.core import messages
from bot.core.conversation_ids import WIDGET
from bot.core.text import parse_json
from bot.notify.rasa_api import ConversationError
from bot.web import sse
from bot.web import limits
from bot.web.limits import CONVERSATION_ID

BAD_CONVERSATION = "conversation_id must be 16-64 letters, digits or dashes."
BAD_BODY = "Send JSON: {conversation_id, ...}."
# An email thread, a Slack user's or a REST client's conversation: never the widget's to open.
NOT_THE_WIDGETS = "This conversation can't be opened in the help widget."


def cors_headers(request: web.Request) -> dict[str, str]:
    """The headers that let an allowed site's page read this response (never '*')."""
    headers = {"X-Content-Type-Options": "nosniff"}
    origin = request.headers.get("Origin")
    if origin and origin in request.app["allowed_origins"] and request.path.startswith("/api/"):
        headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                        "Access-Control-Allow-Headers": "Content-Type",
                        "Access-Control-Allow-Methods": "GET, POST, OPTIONS"})
    return headers


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def conversation_view(app: web.Application, conversation: str) -> dict:
    """Everything the widget draws; raises ConversationError when Rasa is unreachable."""
    lines = await asyncio.to_thread(app["conversations"].transcript, conversation)
    lines = await asyncio.to_thread(app["chats"].named, lines)
    state = await asyncio.to_thread(app["chats"].chat_state, conversation, now=now_utc())
    return {"messages": [{"who": line["who"], "text": line["text"], "buttons": line.get("buttons", []),
                          "at": line.get("at"), "name": line.get("name"), "notice": line.get("notice")}
                         for line in lines],
            "state": {key: state[key] for key in ("person", "typing", "rating")},
            "welcome": {"text": messages.widget_welcome(app["brand"]),
                        "topics": [{"title": title, "text": text} for title, text in messages.WIDGET_TOPICS]}}


async def events(request: web.Request) -> web.StreamResponse:
    """The conversation's state whenever it changes, while a page has the widget (open or
    closed); the connection itself is the customer's presence, for follow-up mail."""
    conversation, app = request.query.get("conversation_id", ""), request.app
    if not CONVERSATION_ID.fullmatch(conversation):
        return error(400, BAD_CONVERSATION)
    if not await app["limiter"].allow(f"stream:{client_address(request)}"):  # each stream polls the database
        return error(429, "Too many connections from this address; please wait a few seconds.")
    if not await claimed(request, conversation):
        return error(403, NOT_THE_WIDGETS)

    async def version() -> str:
        state = await asyncio.to_thread(app["chats"].chat_state, conversation, now=now_utc())
        return state["version"]

    async def payload() -> str | None:
        try:
            return json.dumps(await conversation_view(app, conversation))
        except ConversationError:
            return None  # Rasa is away: say nothing, and try again at the next poll

    async def seen() -> None:
        await asyncio.to_thread(app["chats"].widget_seen, conversation, now=now_utc())

    async def left() -> None:
        await asyncio.to_thread(app["chats"].widget_left, conversation, now=now_utc())

    await seen()
    return await sse.stream(request, event="state", version=version, payload=payload, headers=cors_headers(request),
                            on_beat=seen, on_close=left)


async def left(request: web.Request) -> web.Response:
    """The page with the widget is going away (a beacon): a person's answer now goes by email."""
    try:
        conversation = str((await _body(request)).get("conversation_id", ""))
    except ValueError:
        return error(400, BAD_BODY)
    if not CONVERSATION_ID.fullmatch(conversation):
        return error(400, BAD_CONVERSATION)
    if not await belongs(request, conversation):
        return error(403, NOT_THE_WIDGETS)
    await asyncio.to_thread(request.app["chats"].widget_left, conversation, now=now_utc())
    return web.Response(status=204)


async def rating(request: web.Request) -> web.Response:
    body, conversation, refused = await _posted(request)
    if refused is not None:
        return refused
    comment = body.get("comment")
    try:
        await asyncio.to_thread(request.app["chats"].rate, conversation, str(body.get("subject", "")),
                                body.get("score"),
                                comment if isinstance(comment, str) else "", now=now_utc())
    except ChatError as exc:
        return error(400, str(exc))
    return web.json_response({"message": messages.RATING_THANKS})


async def email_copy(request: web.Request) -> web.Response:
    _, conversation, refused = await _posted(request)
    if refused is not None:
        return refused
    app = request.app
    try:
        lines = await asyncio.to_thread(app["conversations"].transcript, conversation)
        lines = await asyncio.to_thread(app["chats"].named, lines)
        sent = await asyncio.to_thread(app["chats"].send_copy, conversation, lines, brand=app["brand"],
                                       email_from=app["email_from"])
    except ChatError as exc:
        return error(409, str(exc))
    except (ConversationError, OSError):
        return error(502, messages.COPY_FAILED)
    return web.json_response({"message": sent})


async def _posted(request: web.Request) -> tuple[dict, str, web.Response | None]:
    """The JSON body and its conversation, or the refusal: not JSON, a bad id, too many
    requests, or not the widget's conversation."""
    try:
        body = await _body(request)
    except ValueError:
        return {}, "", error(400, BAD_BODY)
    conversation = str(body.get("conversation_id", ""))
    if not CONVERSATION_ID.fullmatch(conversation):
        return body, conversation, error(400, BAD_CONVERSATION)
    if not await allowed(request, conversation):
        return body, conversation, error(429, "You're sending very quickly; please wait a few seconds.")
    if not await belongs(request, conversation):
        return body, conversation, error(403, NOT_THE_WIDGETS)
    return body, conversation, None


async def _body(request: web.Request) -> dict:
    """The JSON object posted; ValueError when it is not one."""
    body = await request.json(loads=parse_json)
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    return body


async def claimed(request: web.Request, conversation: str) -> bool:
    """Whether the conversation is the widget's, a new one becoming the widget's: never an
    email thread, a Slack user's, a socket.io session or a REST client's (bot/core/conversation_ids.py)."""
    return await asyncio.to_thread(request.app["chats"].claim, conversation, WIDGET, now=now_utc())


async def belongs(request: web.Request, conversation: str) -> bool:
    """`claimed` for what starts no conversation (rating, a copy, leaving)."""
    return await asyncio.to_thread(request.app["chats"].belongs, conversation, WIDGET)


async def allowed(request: web.Request, conversation: str) -> bool:
    """Within the per-conversation and the per-address rate limits."""
    limiter = request.app["limiter"]
    return await limiter.allow(f"c:{conversation}") and await limiter.allow(f"ip:{client_address(request)}")


def client_address(request: web.Request) -> str:
    """The customer's address for the per-address limits (proxies: WIDGET_TRUSTED_PROXIES)."""
    return limits.client_address(request.remote, request.headers.get("X-Forwarded-For"),
                                 request.app["trusted_proxies"])
