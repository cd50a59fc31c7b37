"""The agent console (aiohttp): sign-in, the queue, a case, and decisions.

Sessions live in the database (logout really ends them); every form that changes
something carries the session's CSRF token; cookies are HttpOnly and SameSite=Strict;
pages are Jinja2 templates with autoescaping. The CSP allows only the console's own
script (static/console.js: live updates, notifications, shortcuts), and every page and
form works without it. Live pages (live.py), teamwork (teamwork.py) and the dashboard
(dashboard.py) are route modules of their own.
"""
from __future__ import annotations

import asyncio
import logging
import math
import secrets

from aiohttp import web

from bot.app import agents, canned_replies, handoff, sign_in
from bot.app.bootstrap import bootstrap
from bot.app.case_decisions import CaseError, claim, decide_case
from bot.app.chats import Chats, moment
from bot.billing.mirror import follow
from bot.clock import now_utc
from bot.core.constant_time import secret_matches
from bot.core.messages import SLACK_DECISION_NOTES
from bot.core.money import AmountError, agent_locale, amount_input, parse_amount_input
from bot.core.statuses import DECIDABLE, DECIDED, CaseStatus
from bot.core.text import hide_codes
from bot.db.session import get_engine
from bot.notify import slack_cases
from bot.notify.rasa_api import ConversationError
from bot.observability.metrics import aiohttp_handler
from bot.settings import settings
from bot.web import sse
from bot.web.console import dashboard, live, teamwork
from bot.web.console.evidence import CHANNEL_NAMES, case_evidence, queue_rows
from bot.web.console.views import HEADERS, HERE, render
from bot.web.console.views import case_id as _case_id
from bot.web.limits import client_address

COOKIE, LOGIN_COOKIE = "gt_console", "gt_login"
# Reachable without a session: sign-in, health, and Slack's and Stripe's calls (checked by signature).
PUBLIC = ("/login", "/health", "/favicon.ico", "/slack/interactions", "/stripe/webhook",
          "/metrics")  # metrics: loopback or METRICS_TOKEN, checked by the handler
STATUS_FILTERS = {"active": DECIDABLE, "open": (CaseStatus.OPEN,), "claimed": (CaseStatus.CLAIMED,),
                  "decided": DECIDED, "all": DECIDABLE + DECIDED}
DONE_TEXT = {"claimed": "You claimed this case.", "approved": "Approved.", "adjusted": "Adjusted and approved.",
             "denied": "Denied.", "closed": "Closed.", "join": "You joined the conversation; the assistant is paused.",
             "message": "Sent.", "handback": "Handed back to the assistant; the case is closed.",
             "assigned": "Assigned.", "unassigned": "Back in the queue for anyone to take.",
             "noted": "Note added (the customer does not see it).",
             "failed": "Approved, but the payment could not be made: the case failed and a follow-up ticket is open."}


@web.middleware
async def headers_everywhere(request: web.Request, handler):
    """The security headers on every response: redirects, 403s, 404s and errors too."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        raise
    except Exception:  # noqa: BLE001 - logged; the agent gets a plain page with the headers
        logging.getLogger(__name__).exception("console error on %s", request.path)
        return web.Response(status=500, text="Something went wrong; it has been logged.", headers=HEADERS)
    response.headers.update(HEADERS)
    return response


@web.middleware
async def security(request: web.Request, handler):
    public = request.path in PUBLIC or request.path.startswith("/static/")
    found = await asyncio.to_thread(agents.session_for, request.cookies.get(COOKIE), now=now_utc(),
                                    engine=request.app["engine"])
    if found:
        request["agent"], request["csrf"], request["session"] = found.username, found.csrf, found
    elif not public:
        raise web.HTTPSeeOther("/login")
    if request.method == "POST" and request.path not in PUBLIC:
        form = await request.post()
        if not secret_matches(str(form.get("csrf", "")), request.get("csrf")):
            raise web.HTTPForbidden(text="The form expired or did not come from this console. Reload and try again.")
    return await handler(request)


async def login_page(request: web.Request) -> web.Response:
    # Keep an existing nonce: a second load of the page (another tab, the browser's own
    # favicon request redirected here) must not invalidate the form already on screen.
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    response = render(request, "login.html", login_csrf=nonce)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", secure=request.app["secure"])
    return response


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    if not secret_matches(str(form.get("login_csrf", "")), request.cookies.get(LOGIN_COOKIE)):
        raise web.HTTPForbidden(text="The sign-in form expired. Reload and try again.")
    address = client_address(request.remote, request.headers.get("X-Forwarded-For"), request.app["trusted_proxies"])
    tried = await asyncio.to_thread(sign_in.sign_in, str(form.get("username", "")), str(form.get("password", "")),
                                    address=address, now=now_utc(), engine=request.app["engine"])
    username = tried.username
    if username is None:
        nonce = secrets.token_urlsafe(16)
        error = ("Wrong username or password." if not tried.retry_after else
                 "Too many failed sign-ins for this account or from this address: try again in "
                 f"{_duration(tried.retry_after)}. The account's owner will see these attempts.")
        response = render(request, "login.html", status=429 if tried.retry_after else 401, login_csrf=nonce,
                          error=error)
        response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", secure=request.app["secure"])
        if tried.retry_after:
            response.headers["Retry-After"] = str(tried.retry_after)
        return response
    token, _ = await asyncio.to_thread(
        agents.start_session, username, now=now_utc(), engine=request.app["engine"],
        failed_sign_ins=tried.failed_before, last_failed_from=tried.last_failed_from,
        last_failed_at=tried.last_failed_at)
    response = web.HTTPSeeOther("/")
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.app["secure"],
                        max_age=agents.SESSION_HOURS * 3600)
    response.del_cookie(LOGIN_COOKIE)
    raise response


async def logout(request: web.Request) -> web.Response:
    await asyncio.to_thread(agents.end_session, request.cookies.get(COOKIE), engine=request.app["engine"])
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE)
    raise response


async def queue_page(request: web.Request) -> web.Response:
    chosen = {key: request.query.get(key, "").strip() for key in ("status", "rule", "kind", "channel", "q")}
    # A search looks through every case unless a status is chosen too.
    status = STATUS_FILTERS.get(chosen["status"] or ("all" if chosen["q"] else "active"), STATUS_FILTERS["active"])
    version = await asyncio.to_thread(live.queue_version, request.app["engine"])  # before the data it versions
    cases = await asyncio.to_thread(
        queue_rows, now=now_utc(), engine=request.app["engine"], status=status, search=chosen["q"][:200],
        kind=chosen["kind"] or None, rule=chosen["rule"] or None, channel=chosen["channel"] or None)
    available = await asyncio.to_thread(handoff.is_available, request["agent"], now=now_utc(),
                                        engine=request.app["engine"])
    return render(request, "queue.html", cases=cases, chosen=chosen, statuses=list(STATUS_FILTERS),
                  available=available, version=version,
                  rules=["R2", "R5", "R6"], kinds=["refund", "credit", "ticket", "handoff"],
                  channels=list(CHANNEL_NAMES))


async def case_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    version = await asyncio.to_thread(live.case_version, _case_id(request), request.app["engine"])
    evidence = await asyncio.to_thread(case_evidence, _case_id(request), engine=request.app["engine"])
    if evidence is None:
        raise web.HTTPNotFound(text="No such case.")
    transcript, transcript_error = [], None
    conversation_id = evidence["case"]["conversation_id"]
    if conversation_id and request.app["conversations"] is not None:
        try:
            lines = await asyncio.to_thread(request.app["conversations"].transcript, conversation_id)
            transcript = [{**line, "at": moment(line.get("at")),
                           "text": hide_codes(line["text"]) if line.get("code") else line["text"]}
                          for line in await asyncio.to_thread(request.app["chats"].named, lines)]
        except Exception as exc:  # noqa: BLE001 - the case is still decidable without it
            transcript_error = f"Transcript unavailable: {exc}"
    team = await asyncio.to_thread(agents.roster, engine=request.app["engine"])
    replies = await asyncio.to_thread(canned_replies.all_replies, engine=request.app["engine"])
    customer = evidence["customer"] or {}
    values = canned_replies.values_for(case_id=evidence["case"]["id"], customer_name=customer.get("name"),
                                       email=customer.get("email"), agent=team.get(request["agent"], request["agent"]),
                                       brand=request.app["brand"])
    replies = [{**reply, "text": canned_replies.expand(reply["body"], values)} for reply in replies]
    chosen = next((r["text"] for r in replies if str(r["id"]) == request.query.get("reply")), "")
    evidence["case"]["proposed_major"] = amount_input(evidence["case"]["proposed_minor"],
                                                      evidence["case"]["currency"], _agent_locale(request))
    return render(request, "case.html", status=status, error=error, done=DONE_TEXT.get(request.query.get("done", "")),
                  transcript=transcript, transcript_error=transcript_error, team=team, replies=replies,
                  draft=chosen, version=version, **evidence)


async def claim_case(request: web.Request) -> web.Response:
    try:
        await asyncio.to_thread(claim, _case_id(request), request["agent"], now=now_utc(),
                                engine=request.app["engine"])
    except CaseError as exc:
        return await case_page(request, error=str(exc), status=409)
    raise web.HTTPSeeOther(f"/cases/{_case_id(request)}?done=claimed")


async def decide(request: web.Request) -> web.Response:
    form = await request.post()
    verdict, note = str(form.get("verdict", "")), str(form.get("note", ""))
    amount = None
    if verdict == "adjust":
        evidence = await asyncio.to_thread(case_evidence, _case_id(request), engine=request.app["engine"])
        if evidence is None:
            raise web.HTTPNotFound(text="No such case.")
        try:
            amount = parse_amount_input(str(form.get("amount", "")), evidence["case"]["currency"],
                                        _agent_locale(request))
        except AmountError as exc:
            return await case_page(request, error=f"The amount: {exc}.", status=400)
    try:
        result = await asyncio.to_thread(
            decide_case, _case_id(request), request["agent"], verdict, note=note, now=now_utc(), amount=amount,
            gateway=request.app["gateway"], engine=request.app["engine"], notifier=request.app["conversations"])
    except CaseError as exc:
        return await case_page(request, error=str(exc), status=409)
    raise web.HTTPSeeOther(f"/cases/{_case_id(request)}?done={result['status']}")


async def availability(request: web.Request) -> web.Response:
    form = await request.post()
    minutes = 60 if form.get("available") == "yes" else 0
    await asyncio.to_thread(handoff.set_available, request["agent"], minutes=minutes, now=now_utc(),
                            engine=request.app["engine"])
    raise web.HTTPSeeOther("/")


async def live_chat(request: web.Request) -> web.Response:
    """Join, send a message, or hand back: the three steps of a live chat."""
    form, step = await request.post(), request.match_info["step"]
    common = dict(now=now_utc(), conversations=request.app["conversations"], engine=request.app["engine"])
    try:
        if step == "join":
            await asyncio.to_thread(handoff.join, _case_id(request), request["agent"], **common)
        elif step == "message":
            await asyncio.to_thread(handoff.send, _case_id(request), request["agent"],
                                    str(form.get("text", "")), **common)
        elif step == "handback":
            await asyncio.to_thread(handoff.hand_back, _case_id(request), request["agent"],
                                    note=str(form.get("note", "")), **common)
        else:
            raise web.HTTPNotFound()
    except (CaseError, ConversationError) as exc:
        return await case_page(request, error=str(exc), status=409)
    raise web.HTTPSeeOther(f"/cases/{_case_id(request)}?done={step}#chat")


async def slack_click(request: web.Request) -> web.Response:
    """Approve/deny buttons in the support channel: signed by Slack, decided as the clicker."""
    body = await request.read()
    try:
        click = slack_cases.verified_click(body, request.headers, request.app["slack_signing_secret"])
    except slack_cases.ForgedRequest as exc:
        return web.json_response({"error": str(exc)}, status=401)
    agent = f"slack:{click['user']}"
    try:
        result = await asyncio.to_thread(
            decide_case, click["case_id"], agent, click["verdict"], note=SLACK_DECISION_NOTES[click["verdict"]],
            now=now_utc(), gateway=request.app["gateway"], engine=request.app["engine"],
            notifier=request.app["conversations"])
        text = f"Case #{click['case_id']}: {result['status']} by {click['user']}. {result['message']}"
    except CaseError as exc:
        text = f"Case #{click['case_id']}: {exc}"
    await asyncio.to_thread(slack_cases.reply_in_thread, click["response_url"], text)
    return web.json_response({"ok": True})


async def stripe_webhook(request: web.Request) -> web.Response:
    """Stripe's events keep the mirror current; the secret is read per request so that
    nothing is accepted while STRIPE_WEBHOOK_SECRET is unset."""
    body = await request.read()
    try:
        event = follow.verify(body, request.headers.get("Stripe-Signature"), settings().stripe_webhook_secret)
    except follow.BadSignature as exc:
        return web.json_response({"error": str(exc)}, status=400)
    try:
        outcome = await asyncio.to_thread(follow.handle_event, event, engine=request.app["engine"],
                                          notifier=request.app["conversations"])
    except Exception:  # noqa: BLE001 - nothing was recorded, so Stripe's retry applies it later
        logging.getLogger(__name__).exception("Stripe event %s not applied", event.get("id"))
        return web.json_response({"error": "the event could not be applied now"}, status=500)
    return web.json_response({"received": True, "outcome": outcome})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def no_favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def _agent_locale(request: web.Request):
    """The agent's locale, from their browser's first choice: how they write amounts."""
    return agent_locale(request.headers.get("Accept-Language", "").split(",")[0].split(";")[0])


def _duration(seconds: int) -> str:
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def make_app(*, engine=None, gateway=None, conversations=None, brand: str = "GroupTrack CRM",
             secure_cookies: bool = False, slack_signing_secret: str | None = None,
             trusted_proxies: frozenset[str] = frozenset({"127.0.0.1", "::1"})) -> web.Application:
    bootstrap()
    # Agents' forms are small, but a Stripe event (an invoice with many lines) can be large.
    app = web.Application(middlewares=[headers_everywhere, security], client_max_size=512 * 1024)
    app.update(engine=engine, gateway=gateway, conversations=conversations, brand=brand, secure=secure_cookies,
               slack_signing_secret=slack_signing_secret, trusted_proxies=trusted_proxies, chats=Chats(engine),
               case_page=case_page)
    sse.install(app)
    for module in (live, teamwork, dashboard):
        app.add_routes(module.routes)
    app.add_routes([
        web.get("/login", login_page), web.post("/login", login), web.post("/logout", logout),
        web.get("/", queue_page), web.get("/cases/{case_id}", case_page),
        web.post("/cases/{case_id}/claim", claim_case), web.post("/cases/{case_id}/decide", decide),
        web.post("/cases/{case_id}/chat/{step}", live_chat), web.post("/availability", availability),
        web.get("/health", health), web.get("/favicon.ico", no_favicon), web.post("/slack/interactions", slack_click),
        web.post("/stripe/webhook", stripe_webhook), web.get("/metrics", aiohttp_handler(engine or get_engine())),
        web.static("/static", HERE / "static"),
    ])
    return app
