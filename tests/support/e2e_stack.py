"""A pytest plugin: the real servers (localstripe, the action server, Rasa) started once
for all end-to-end tests, exactly as `make run` starts them, on free ports, with a
throw-away database; and helpers to talk to them over the REST channel."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import stripe

from bot.db.session import make_engine
from bot.ops.model import ensure_model
from bot.ops.processes import BIN, Stack, free_port
from bot.ops.runner import seed, stack_environment, start_assistant, start_console, start_localstripe, start_widget
from bot.settings import ROOT
from tests.conftest import DEMO_SEED
from tests.conftest import ROOT as TESTS_ROOT

E2E_SEED = TESTS_ROOT / "tests" / "support" / "seeds" / "e2e.yml"

SECRET = "e2e-customer-token-secret-32-bytes-long"
AGENTS, AGENT_PASSWORD = ("alice", "bob"), "e2e agent password"


SLACK_SIGNING_SECRET = "e2e-slack-signing-secret"
EMAIL_SIGNING_KEY = "e2e-mailgun-signing-key"


@pytest.fixture(scope="session")
def live(tmp_path_factory, slack, smtp):
    model = Path(os.environ.get("GROUPTRACK_MODEL") or ensure_model())
    tmp = tmp_path_factory.mktemp("e2e")
    env = stack_environment()
    # A site whose pages may use Rasa's socket.io channel (test_webchat_browser.py serves them).
    site_port = free_port()
    env.update(DATABASE_URL=f"sqlite:///{tmp}/e2e.db", CUSTOMER_TOKEN_SECRET=SECRET,
               RASA_CORS_ORIGINS=f"http://127.0.0.1:{site_port}",
               STRIPE_API_KEY="sk_test_e2e", OUTBOX_DIR=str(tmp / "outbox"),
               POLICY_FILE=str(TESTS_ROOT / "tests" / "support" / "config" / "always-open.yml"),
               SLACK_BOT_TOKEN="xoxb-e2e", SLACK_CASES_CHANNEL="C-support", SLACK_API_URL=f"{slack.url}/api/",
               SLACK_SIGNING_SECRET=SLACK_SIGNING_SECRET,
               SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), EMAIL_WEBHOOK_SIGNING_KEY=EMAIL_SIGNING_KEY,
               EMAIL_REPLY_FROM="support@grouptrack.example")
    for name in ("SMTP_USER", "SMTP_PASSWORD"):
        env.pop(name, None)
    stack = Stack(env=env, logs=tmp)
    stack.site_port = site_port
    try:
        start_localstripe(stack, free_port())
        seed(stack, str(DEMO_SEED))
        seed(stack, str(E2E_SEED))
        console_port = free_port()
        stack.env["CONSOLE_URL"] = f"http://127.0.0.1:{console_port}"
        start_assistant(stack, model=model, rasa_port=free_port(), actions_port=free_port())
        start_console(stack, console_port)
        start_widget(stack, free_port(), demo_seed=str(E2E_SEED))
        for agent in AGENTS:
            subprocess.run([str(BIN / "bot"), "agent", "create", agent], cwd=ROOT, check=True,
                           env={**stack.env, "AGENT_PASSWORD": AGENT_PASSWORD}, stdout=subprocess.DEVNULL)
        stack.smtp = smtp
        yield stack
    except Exception:
        print_server_logs(tmp)
        raise
    finally:
        stack.stop()


def redis_server(port: int, folder: Path) -> subprocess.Popen:
    """A private Redis, so the test can lose it without touching the machine's own."""
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.1)
    return process


def print_server_logs(folder: Path) -> None:
    """The end of each server's log, so a stack that failed to start says why."""
    for log in sorted(folder.glob("*.log")):
        print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def client_key(sender: str) -> str:
    """The secret a widget keeps for its conversation (tests derive one per sender)."""
    return hashlib.sha256(f"client-of-{sender}".encode()).hexdigest()


def say(live: Stack, sender: str, text: str, token: str | None, *, rasa_url: str | None = None,
        key: str | None = "derived", **metadata) -> list[dict]:
    """A customer's message over the REST channel, as the widget sends it: with the host app's
    token if signed in, and the client's own key (`key=None`: a caller who has none);
    `rasa_url` picks one replica."""
    body = {"sender": sender, "message": text, "metadata": {
        **({"customer_token": token} if token else {}),
        **({"client_key": client_key(sender) if key == "derived" else key} if key else {}), **metadata}}
    request = urllib.request.Request(
        f"{rasa_url or live.urls['rasa']}/webhooks/rest/webhook", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def goes_quiet(live: Stack, sender: str, hours: float = 2) -> None:
    """The customer says nothing for `hours`: their last message is backdated past Rasa's
    60-minute session, so their next one starts a new session (the only way short of waiting)."""
    from bot.notify.rasa_api import RasaConversations
    rasa = RasaConversations(live.urls["rasa"], live.env["RASA_AUTH_TOKEN"])
    rasa._append(sender, {"event": "user", "text": "(away)", "timestamp": time.time() - hours * 3600,
                          "parse_data": {"intent": {"name": "thank", "confidence": 1.0}, "entities": []}})


def socket_say(url: str, messages: list[str], token: str | None, transports=("websocket",),
               replies_each: int = 1) -> list[dict]:
    """A socket.io widget's session: the first `replies_each` replies to each message."""
    import queue
    import uuid

    import socketio
    # The threaded client: engine.io's asyncio client needs a newer aiohttp than Rasa 3.6 allows.
    client, replies, confirmed = socketio.Client(), queue.Queue(), queue.Queue()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    client.connect(url, transports=list(transports), socketio_path="/socket.io", wait_timeout=30)
    try:
        session = uuid.uuid4().hex
        client.emit("session_request", {"session_id": session})
        assert confirmed.get(timeout=30) == session
        answers = []
        for message in messages:
            client.emit("user_uttered", {"message": message, "session_id": session,
                                         "metadata": {"customer_token": token} if token else {}})
            answers += [replies.get(timeout=60) for _ in range(replies_each)]
        return answers
    finally:
        client.disconnect()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


# What the assistant says when it did not follow: the NLU fallback and the core fallback.
NOT_UNDERSTOOD = ("didn't understand that", "still not getting it", "I lost track of that")


def understood(reply: str) -> bool:
    return not any(phrase in reply for phrase in NOT_UNDERSTOOD)


def stripe_refunds(live: Stack, charge_stripe_id: str) -> list:
    client = stripe.StripeClient(live.env["STRIPE_API_KEY"],
                                 base_addresses={"api": live.env["STRIPE_API_BASE"]})
    return list(client.refunds.list(params={"charge": charge_stripe_id}).data)


def mirror(live: Stack):
    return make_engine(live.env["DATABASE_URL"])


def latest_code(live: Stack, email: str) -> str:
    from tests.support.smtp_server import plain_text
    mails = live.smtp.to(email)
    return re.search(r"Your code is (\d{6})", plain_text(mails[-1])).group(1)
