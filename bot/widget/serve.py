"""`bot widget`: serve the help widget, its API, and (with --demo) a demo host page."""
from __future__ import annotations

import os

from aiohttp import web


def cmd_widget(args) -> int:
    from bot.logs import configure
    configure()
    from bot.conversations import RasaConversations
    from bot.policy import load_policy
    from bot.widget.app import make_app

    customers = tuple(c.strip() for c in (args.demo_customers or "").split(",") if c.strip())
    proxies = frozenset(p.strip() for p in os.environ.get("WIDGET_TRUSTED_PROXIES", "").split(",") if p.strip())
    app = make_app(conversations=RasaConversations.from_env(), brand=load_policy().brand,
                   demo=args.demo, demo_customers=customers, trusted_proxies=proxies)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


def add_widget_command(sub) -> None:
    p = sub.add_parser("widget", help="serve the help widget and its API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5090)
    p.add_argument("--demo", action="store_true",
                   help="serve /demo, which signs in demo customers: never in production")
    p.add_argument("--demo-customers", default="", help="comma-separated emails listed on the demo page")
    p.set_defaults(func=cmd_widget)
