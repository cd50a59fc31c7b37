"""The action server: rasa-sdk's own app, answering only callers that know the shared secret.

Actions reveal account data and move money on the strength of the tracker they are
sent, so anyone who could reach the action server directly could post a forged tracker
(any sender, any token-bearing metadata). Rasa sends ACTION_SERVER_SECRET in a header
(endpoints.yml); everything but /health is refused without it.

    python -m bot.ops.action_server --actions actions --port 5055   (rasa-sdk's flags)
"""
from __future__ import annotations

import logging
import sys
import time

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app as create_sdk_app
from rasa_sdk.endpoint import create_argument_parser, create_ssl_context
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response

from bot.app.bootstrap import bootstrap
from bot.core.constant_time import secret_matches
from bot.observability.logs import configure, conversation_id
from bot.observability.metrics import ACTION_SECONDS, exposition, scrape_allowed
from bot.ops.heap import freeze_what_is_loaded
from bot.ops.rasa_patches import UnsupportedVersion, install_in_action_server
from bot.settings import refuse_dev_secrets_off_loopback, settings

HEADER = "X-Action-Server-Secret"
# Load balancers and the runner probe /health without the secret; /metrics checks its own access.
OPEN_PATHS = frozenset({"/health", "/metrics"})


def guard(app: Sanic, secret: str) -> Sanic:
    if not secret:
        raise ValueError("the action server needs a non-empty ACTION_SERVER_SECRET")

    async def require_secret(request):
        if request.path in OPEN_PATHS:
            return None
        if not secret_matches(request.headers.get(HEADER), secret):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    app.register_middleware(require_secret, "request")
    return app


def instrument(app: Sanic) -> Sanic:
    """Each action call logs under its conversation's id and is timed for /metrics.

    Registered after the guard, so only Rasa's authenticated calls name an action."""

    async def start(request):
        request.ctx.started = time.monotonic()
        if request.path == "/webhook":
            try:
                body = request.json or {}
            except Exception:  # noqa: BLE001 - rasa-sdk answers a bad body itself
                body = {}
            request.ctx.action = str(body.get("next_action") or "unknown")[:100]
            conversation_id.set(str(body.get("sender_id") or "")[:255] or None)

    async def finish(request, _response):
        action = getattr(request.ctx, "action", None)
        if action:
            ACTION_SECONDS.labels(action).observe(time.monotonic() - request.ctx.started)

    async def metrics(request):
        if not scrape_allowed(request.ip, request.headers.get("Authorization"),
                              forwarded=request.headers.get("X-Forwarded-For")):
            return response.text("metrics are for this machine or a METRICS_TOKEN bearer\n", status=403)
        body, content_type = exposition()
        return response.raw(body, content_type=content_type)

    app.register_middleware(start, "request")
    app.register_middleware(finish, "response")
    app.add_route(metrics, "/metrics", methods=["GET"])
    return app


def create_app(actions: str = "actions", *, cors_origins="*", auto_reload: bool = False,
               secret: str | None = None) -> Sanic:
    bootstrap()
    return instrument(guard(create_sdk_app(actions, cors_origins=cors_origins, auto_reload=auto_reload),
                            secret if secret is not None else settings().action_server_secret))


def main(argv: list[str] | None = None) -> None:
    """rasa-sdk's `main_from_args` and `run`, with the guarded app in place of its own."""
    args = create_argument_parser().parse_args(argv)
    config = settings()
    try:
        refuse_dev_secrets_off_loopback(config.bind_host, config)
        install_in_action_server()  # actions off the event loop (bot/ops/action_threads.py)
    except (ValueError, UnsupportedVersion) as exc:
        sys.exit(f"action server: {exc}")
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    configure(args.loglevel)  # JSON lines (bot.observability.logs) in place of rasa-sdk's coloured text
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    freeze_what_is_loaded()  # imports and the registered actions live as long as the process
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    app.run(config.bind_host, args.port, ssl=ssl_context,
            workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    sys.exit(main())
