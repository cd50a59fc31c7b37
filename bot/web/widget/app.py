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
from typing import NamedTuple
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.app.identity import issue_customer_token
from bot.clock import now_utc
from bot.core.messages import ASSISTANT_UNREACHABLE
from bot.core.text import clean_text, parse_json
from bot.notify.rasa_api import ConversationError
from bot.observability.metrics import TURN_SECONDS, TURNS, aiohttp_handler
from bot.settings import is_loopback
from bot.web import sse
from bot.web.limits import (CONVERSATION_ID, MAX_MESSAGE, RateLimiter, SharedRateLimiter, checked_metadata,
                            rate_limiter)
from bot.web.widget import extras
from bot.web.widget.extras import error as _error

HERE = Path(__file__).resolve().parent
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


class DemoCustomer(NamedTuple):
    """A customer the demo page signs in, and what it tells a newcomer about them."""
    email: str
    name: str = ""
    shows: str = ""  # what their account is like
    ask: str = ""  # a question to try


async def post_message(request: web.Request) -> web.Response:
    try:
        body = await request.json(loads=parse_json)
    except ValueError:
        return _error(400, "Send JSON: {conversation_id, text, customer_token?}.")
    if not isinstance(body, dict):  # `[]` or `"x"` is valid JSON too
        return _error(400, "Send JSON: {conversation_id, text, customer_token?}.")
    conversation, text = str(body.get("conversation_id", "")), body.get("text")
    if not CONVERSATION_ID.fullmatch(conversation):
        return _error(400, extras.BAD_CONVERSATION)
    if not isinstance(text, str) or not clean_text(text).strip():
        return _error(400, "The message is empty.")
    text = clean_text(text)
    if len(text) > MAX_MESSAGE:
        return _error(413, f"That message is too long ({len(text)} characters); please keep it under {MAX_MESSAGE}.")
    if not await extras.allowed(request, conversation):
        return _error(429, "You're sending messages very quickly; please wait a few seconds.")
    try:
        metadata = checked_metadata(body)
    except ValueError as problem:
        return _error(400, f"{problem}.")
    if not await extras.claimed(request, conversation):
        return _error(403, extras.NOT_THE_WIDGETS)
    await asyncio.to_thread(request.app["chats"].widget_seen, conversation, now=now_utc(),
                            token=metadata.get("customer_token"))
    started = time.monotonic()
    try:
        replies = await asyncio.to_thread(request.app["conversations"].send, conversation, text.strip(), metadata,
                                          client_address=extras.client_address(request))
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
    limiter = request.app["history_limiter"]
    if not (await limiter.allow(f"c:{conversation}")
            and await limiter.allow(f"ip:{extras.client_address(request)}")):
        return _error(429, "Too many requests; please wait a few seconds.")
    if not await extras.claimed(request, conversation):
        return _error(403, extras.NOT_THE_WIDGETS)
    try:
        view = await extras.conversation_view(request.app, conversation)
    except ConversationError:
        return _error(502, ASSISTANT_UNREACHABLE)
    await asyncio.to_thread(request.app["chats"].widget_seen, conversation, now=now_utc())
    return web.json_response(view)


async def demo_page(request: web.Request) -> web.Response:
    """A product page with the widget, for a signed-in demo customer or a visitor."""
    # It signs people in without a password: only the seeded demo customers, only for a
    # browser on this machine (not one a local proxy relays).
    if not request.app["demo"] or not is_loopback(request.remote or "") or "X-Forwarded-For" in request.headers:
        raise web.HTTPNotFound()
    email = request.query.get("customer", "")
    if email and email not in {customer.email for customer in request.app["demo_customers"]}:
        raise web.HTTPNotFound(text="Not a demo customer.")
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
    """The widget's API answers the pages of the sites in WIDGET_ALLOWED_ORIGINS, and its
    own; a page from anywhere else is refused, and no response ever says '*'."""
    origin = request.headers.get("Origin")
    if request.path.startswith("/api/") and origin and origin not in request.app["allowed_origins"] \
            and urlsplit(origin).netloc != request.host:
        response = _error(403, "This site may not use the help widget.")
    elif request.method == "OPTIONS":
        response = web.Response(status=204)
    else:
        response = await handler(request)
    if not response.prepared:  # a stream (server-sent events) sent its own when it started
        response.headers.update(extras.cors_headers(request))
    return response


def make_app(*, conversations, chats, brand: str = "GroupTrack CRM", demo: bool = False,
             demo_customers: tuple[DemoCustomer, ...] = (), email_from: str = "support@grouptrack.example",
             limiter: RateLimiter | SharedRateLimiter | None = None,
             history_limiter: RateLimiter | SharedRateLimiter | None = None,
             trusted_proxies: frozenset[str] = frozenset(),
             allowed_origins: frozenset[str] = frozenset()) -> web.Application:
    app = web.Application(middlewares=[cors], client_max_size=16 * 1024)
    app.update(conversations=conversations, chats=chats, brand=brand, demo=demo, demo_customers=demo_customers,
               trusted_proxies=trusted_proxies, allowed_origins=allowed_origins, email_from=email_from,
               limiter=limiter or rate_limiter("widget", per_minute=20, burst=8),
               # A widget reads its history when it opens and when its event stream reconnects;
               # room for a few customers behind one address, none for a loop reading trackers.
               history_limiter=history_limiter or rate_limiter("widget-history", per_minute=120, burst=30))
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
