"""`bot console`: serve the agent console with the configured database, Stripe and Rasa."""
from __future__ import annotations

from aiohttp import web

from bot.billing.gateway import StripeGateway
from bot.db.migrate import upgrade
from bot.db.session import get_engine
from bot.notify.outbound import CustomerChannels
from bot.observability.logs import configure
from bot.settings import load_policy, refuse_dev_secrets_off_loopback, settings
from bot.web.console.app import make_app


def serve(args) -> int:
    configure()
    config = settings()
    host = args.host or config.bind_host
    refuse_dev_secrets_off_loopback(host, config)
    upgrade(config.database_url)
    app = make_app(engine=get_engine(), gateway=StripeGateway.from_settings(),
                   conversations=CustomerChannels.from_env(), brand=load_policy().brand,
                   secure_cookies=config.console_secure_cookies, slack_signing_secret=config.slack.signing_secret,
                   trusted_proxies=config.trusted_proxies)
    web.run_app(app, host=host, port=args.port, print=None, access_log=None)
    return 0
