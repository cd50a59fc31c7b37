"""The servers the conversation set talks to, started the way `make run` starts them
(bot/ops/runner.py), on free ports, with a throw-away database and only the set's own seed."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.ops.model import ensure_model
from bot.ops.processes import Stack, free_port
from bot.ops.runner import seed, stack_environment, start_assistant, start_localstripe, start_widget
from tests.conftest import ROOT
from tests.support.e2e_stack import print_server_logs
from tests.support.smtp_server import serve_mailbox

SEED = ROOT / "tests" / "support" / "seeds" / "conversations.yml"
TOKEN_SECRET = "conversation-set-customer-token-secret-32b"
EMAIL_SIGNING_KEY = "conversation-set-mailgun-signing-key"


@contextmanager
def conversation_stack(folder: Path) -> Iterator[Stack]:
    """localstripe, the seed, the action server, Rasa and the widget relay, stopped on exit.

    The widget relay trusts this machine's X-Forwarded-For, as it trusts the proxy in front
    of it in production: each conversation comes from its own address, so the per-address
    rate limits treat the set as the many customers it is, not as one flooding address.
    Mail goes to an SMTP stand-in (`stack.smtp`), where replies and one-time codes are read.
    """
    model = Path(os.environ.get("GROUPTRACK_MODEL") or ensure_model())
    mailbox, controller = serve_mailbox()
    env = stack_environment()
    env.update(DATABASE_URL=f"sqlite:///{folder}/conversations.db", CUSTOMER_TOKEN_SECRET=TOKEN_SECRET,
               STRIPE_API_KEY="sk_test_conversations", OUTBOX_DIR=str(folder / "outbox"),
               SMTP_HOST=mailbox.host, SMTP_PORT=str(mailbox.port), EMAIL_WEBHOOK_SIGNING_KEY=EMAIL_SIGNING_KEY,
               EMAIL_REPLY_FROM="support@grouptrack.example", WIDGET_TRUSTED_PROXIES="127.0.0.1")
    for name in ("SMTP_USER", "SMTP_PASSWORD", "POLICY_FILE", "PLANS_FILE", "SLACK_BOT_TOKEN", "STRIPE_API_BASE"):
        env.pop(name, None)  # the shipped policy and plans, no Slack, our own localstripe
    stack = Stack(env=env, logs=folder)
    stack.smtp = mailbox
    try:
        start_localstripe(stack, free_port())
        seed(stack, str(SEED))
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=free_port())
        start_widget(stack, free_port())
        yield stack
    except Exception:
        print_server_logs(folder)
        raise
    finally:
        stack.stop()
        controller.stop()
