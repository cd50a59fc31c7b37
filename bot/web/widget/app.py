"""The widget's server: the embeddable script, a demo page, and a small API that relays
messages to Rasa's REST channel and serves the conversation's history.

Messages go through this server rather than straight to Rasa so that there is one
place for the size limit and the per-sender rate limit, and so the history (which
needs Rasa's API token) can be read without handing that token to browsers. A
conversation id is a random UUID made in the browser: knowing it is what lets a
browser read that conversation, and it never identifies a customer (the token does).
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.app.identity import issue_customer_token
from bot.clock import now_utc
from bot.core.messages import ASSISTANT_UNREACHABLE
from bot.notify.conversations import ConversationError
from bot.observability.metrics import TURN_SECONDS, TURNS, aiohttp_handler
from bot.web import sse
from bot.web.limits import CONVERSATION_ID, MAX_MESSAGE, RateLimiter, SharedRateLimiter, rate_limiter
from bot.web.widget import extras
from bot.web.widget.extras import error as _error

HERE = Path(__file__).resolve().parent
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


async def post_message(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "Send JSON: {conversation_id, text, customer_token?}.")
    if not isinstance(body, dict):  # `[]` or `"x"` is valid JSON too
        return _error(400, "Send JSON: {conversation_id, text, customer_token?}.")
    conversation, text = str(body.get("conversation_id", "")), body.get("text")
    if not CONVERSATION_ID.fullmatch(conversation):
        return _error(400, extras.BAD_CONVERSATION)
    if not isinstance(text, str) or not text.strip():
        return _error(400, "The message is empty.")
    if len(text) > MAX_MESSAGE:
        return _error(413, f"That message is too long ({len(text)} characters); please keep it under {MAX_MESSAGE}.")
    if not await extras.allowed(request, conversation):
        return _error(429, "You're sending messages very quickly; please wait a few seconds.")
    token = body.get("customer_token")
    metadata = {"customer_token": token} if isinstance(token, str) and token else {}
    await asyncio.to_thread(request.app["chats"].widget_seen, conversation, now=now_utc(),
                            token=metadata.get("customer_token"))
    started = time.monotonic()
    try:
        replies = await asyncio.to_thread(request.app["conversations"].send, conversation, text.strip(), metadata)
    except ConversationError:
        TURNS.labels("widget", "unreachable").inc()
        return _error(502, ASSISTANT_UNREACHABLE)
    TURNS.labels("widget", "answered").inc()
    TURN_SECONDS.labels("widget").observe(time.monotonic() - started)
    return web.json_response({"replies": [{"text": r.get("text", ""), "buttons": [
        {"title": b.get("title", ""), "payload": b.get("payload", "")} for b in r.get("buttons") or []]}
        for r in replies]})


async def history(request: web.Request) -> web.Response:
    conversation = request.query.get("conversation_id", "")
    if not CONVERSATION_ID.fullmatch(conversation):
        return _error(400, extras.BAD_CONVERSATION)
    try:
        view = await extras.conversation_view(request.app, conversation)
    except ConversationError:
        return _error(502, ASSISTANT_UNREACHABLE)
    await asyncio.to_thread(request.app["chats"].widget_seen, conversation, now=now_utc())
    return web.json_response(view)


async def demo_page(request: web.Request) -> web.Response:
    """A product page with the widget, for a signed-in demo customer or a visitor."""
    if not request.app["demo"]:
        raise web.HTTPNotFound()
    email = request.query.get("customer", "")
    token = None
    if email:
        token = issue_customer_token(email)
    page = templates.get_template("demo.html").render(customer=email, token=token, brand=request.app["brand"],
                                                       customers=request.app["demo_customers"])
    response = web.Response(text=page, content_type="text/html")
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@web.middleware
async def cors(request: web.Request, handler):
    """The widget runs on the company's own site, so its API answers other origins."""
    if request.method == "OPTIONS":
        response = web.Response(status=204)
    else:
        response = await handler(request)
    response.headers.update(extras.CORS)
    return response


def make_app(*, conversations, chats, brand: str = "GroupTrack CRM", demo: bool = False,
             demo_customers: tuple[str, ...] = (), email_from: str = "support@grouptrack.example",
             limiter: RateLimiter | SharedRateLimiter | None = None,
             trusted_proxies: frozenset[str] = frozenset()) -> web.Application:
    app = web.Application(middlewares=[cors], client_max_size=16 * 1024)
    app.update(conversations=conversations, chats=chats, brand=brand, demo=demo, demo_customers=demo_customers,
               trusted_proxies=trusted_proxies, email_from=email_from,
               limiter=limiter or rate_limiter("widget", per_minute=20, burst=8))
    sse.install(app)
    app.add_routes([
        web.post("/api/messages", post_message), web.route("OPTIONS", "/api/messages", post_message),
        web.get("/api/history", history), web.get("/api/events", extras.events), web.post("/api/left", extras.left),
        web.post("/api/rating", extras.rating), web.route("OPTIONS", "/api/rating", extras.rating),
        web.post("/api/copy", extras.email_copy), web.route("OPTIONS", "/api/copy", extras.email_copy),
        web.get("/demo", demo_page), web.get("/health", health),
        web.get("/metrics", aiohttp_handler()),
        web.static("/static", HERE / "static"),
    ])
    return app
