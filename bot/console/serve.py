"""`bot console`: serve the agent console with the configured database, Stripe and Rasa."""
from __future__ import annotations

import os

from aiohttp import web


def cmd_console(args) -> int:
    from bot.logs import configure
    configure()
    from bot.billing.gateway import StripeGateway
    from bot.console.app import make_app
    from bot.outbound import CustomerChannels
    from bot.db.migrate import upgrade
    from bot.config import settings
    from bot.db.session import get_engine
    from bot.policy import load_policy

    upgrade(settings().database_url)
    policy = load_policy()
    channels = CustomerChannels.from_env()
    app = make_app(engine=get_engine(), gateway=StripeGateway.from_settings(),
                   conversations=channels, brand=policy.brand,
                   secure_cookies=os.environ.get("CONSOLE_SECURE_COOKIES") == "1",
                   slack_signing_secret=os.environ.get("SLACK_SIGNING_SECRET"))
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


def add_console_command(sub) -> None:
    p = sub.add_parser("console", help="serve the agent console")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5080)
    p.set_defaults(func=cmd_console)
