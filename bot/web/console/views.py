"""The console's page rendering, shared by its route modules: templates and their filters,
the security headers every response carries, and reading a case number from the path."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.core.text import clean_text
from bot.web.console.evidence import CHANNEL_NAMES, duration_text

HERE = Path(__file__).resolve().parent
# Scripts only from this origin (static/console.js): no inline script, no eval, no CDN.
HEADERS = {"Content-Security-Policy": "default-src 'self'; script-src 'self'; object-src 'none'; "
                                      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
           "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Cache-Control": "no-store"}

LARGEST_ID = 2**31 - 1  # an INTEGER column's largest value on PostgreSQL
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


def _moment(when: datetime, shown: str, style: str) -> Markup:
    """A time in UTC, marked up for static/console.js to show in the agent's own zone (the
    widget shows customers theirs); UTC stays on hover, and is what a page without scripts shows."""
    return Markup('<time datetime="{}" title="{}" data-style="{}">{}</time>').format(
        when.isoformat(), f"{when:%d %b %Y %H:%M} UTC", style, shown)


templates.filters["when"] = lambda t: _moment(t, f"{t:%d %b %Y %H:%M} UTC", "when") if t else ""
templates.filters["clock"] = lambda t: _moment(t, f"{t:%H:%M}", "clock") if t else ""
templates.tests["moment"] = lambda value: isinstance(value, datetime)
templates.filters["iso"] = lambda t: t.isoformat() if isinstance(t, datetime) else ""
templates.filters["channel"] = lambda c: CHANNEL_NAMES.get(c or "", c or "unknown")
templates.filters["duration"] = lambda s: duration_text(s) if s is not None else "–"
templates.filters["percent"] = lambda x: f"{x * 100:.1f} %" if x is not None else "–"


def render(request: web.Request, name: str, status: int = 200, **context) -> web.Response:
    page = templates.get_template(name).render(agent=request.get("agent"), csrf=request.get("csrf"),
                                               brand=request.app["brand"], path=request.path,
                                               live_session=request.get("session"), **context)
    # Rows and transcripts written before text was cleaned where it enters may hold a lone
    # surrogate, which no page can be encoded with: shown as U+FFFD, never a 500.
    return web.Response(text=clean_text(page), content_type="text/html", status=status)


def case_id(request: web.Request) -> int:
    """The case id in the path; 404 for anything but a whole number a case id can be."""
    text = request.match_info["case_id"]
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 10 and 0 < int(text) <= LARGEST_ID):
        raise web.HTTPNotFound(text="No such case.")
    return int(text)
