"""`bot widget`: serve the help widget, its API, and (with --demo) a demo host page."""
from __future__ import annotations

from aiohttp import web

from bot.app.chats import Chats
from bot.notify.conversations import RasaConversations
from bot.observability.logs import configure
from bot.settings import load_policy, settings
from bot.web.widget.app import make_app


def serve(args) -> int:
    configure()
    config, policy = settings(), load_policy()
    customers = tuple(c.strip() for c in (args.demo_customers or "").split(",") if c.strip())
    app = make_app(conversations=RasaConversations.from_env(), chats=Chats(), brand=policy.brand,
                   demo=args.demo, demo_customers=customers, trusted_proxies=config.widget_trusted_proxies,
                   email_from=config.email.reply_from or policy.support_email)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0
