"""`bot widget`: serve the help widget, its API, and (with --demo) a demo host page."""
from __future__ import annotations

from aiohttp import web

from bot.app.chats import Chats
from bot.notify.rasa_api import RasaConversations
from bot.observability.logs import configure
from bot.settings import is_loopback, load_policy, refuse_dev_secrets_off_loopback, settings
from bot.web.widget.app import make_app


def serve(args) -> int:
    configure()
    config, policy = settings(), load_policy()
    host = args.host or config.bind_host
    refuse_dev_secrets_off_loopback(host, config)
    if args.demo and not is_loopback(host):
        raise ValueError(f"--demo signs in demo customers, so it is served on a loopback host only, not {host}")
    app = make_app(conversations=RasaConversations.from_env(), chats=Chats(), brand=policy.brand,
                   demo=args.demo, demo_customers=args.demo_customers, trusted_proxies=config.widget_trusted_proxies,
                   allowed_origins=config.widget_allowed_origins,
                   email_from=config.email.reply_from or policy.support_email)
    web.run_app(app, host=host, port=args.port, print=None, access_log=None)
    return 0
