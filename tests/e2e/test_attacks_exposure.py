"""Attacks on what `make run` exposes (issue 14, items 4, 6, 8 and 9): servers on every
interface with the published development secrets, localstripe open to the network, Rasa's
CORS, the demo page minting tokens, sender ids made up by the hundred, and a lone
surrogate that broke the agent's case page for good."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests

from bot.ops import runner
from bot.ops.model import write_model_digest
from bot.ops.processes import Stack, free_port
from bot.ops.runner import start_localstripe, stack_environment
from bot.settings import ROOT, is_loopback, refuse_dev_secrets_off_loopback, settings
from tests.support.console_client import Agent
from tests.support.e2e_stack import SECRET, mirror, say, texts

OWN_SECRETS = {"CUSTOMER_TOKEN_SECRET": "own-1", "ACTION_SERVER_SECRET": "own-2", "EMAIL_WEBHOOK_SIGNING_KEY": "own-3",
               "RASA_AUTH_TOKEN": "own-4"}


def outside_address() -> str:
    """An address of this machine that is not loopback (where another host would connect)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: the kernel only picks a route
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if is_loopback(address):
        pytest.skip("this machine has no address but loopback")
    return address


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


# --- the development secrets never leave loopback ---------------------------------------------

@pytest.mark.parametrize("host, refused", [("127.0.0.1", False), ("::1", False), ("localhost", False),
                                           ("::ffff:127.0.0.1", False), ("0.0.0.0", True), ("", True),
                                           ("::", True), ("192.0.2.2", True), ("example.com", True)])
def test_the_development_secrets_are_refused_off_loopback(host, refused):
    dev = settings({})
    if refused:
        with pytest.raises(ValueError, match="CUSTOMER_TOKEN_SECRET, ACTION_SERVER_SECRET, RASA_AUTH_TOKEN"):
            refuse_dev_secrets_off_loopback(host, dev)
    else:
        refuse_dev_secrets_off_loopback(host, dev)
    refuse_dev_secrets_off_loopback(host, settings(OWN_SECRETS))  # the operator's own secrets: any host


def test_bot_run_on_another_interface_with_the_dev_secrets_starts_nothing(monkeypatch, capsys):
    from bot.ops.cli import main
    started = []
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    for name in OWN_SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(runner, "ensure_model", lambda: started.append("model") or 1 / 0)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["run"]) == 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert started == [] and "refusing to listen on 0.0.0.0 with the development" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["console", "--host", "0.0.0.0"], ["widget", "--host", "0.0.0.0"],
                                     ["widget", "--demo", "--host", "192.0.2.2"]])
def test_the_console_and_widget_refuse_to_serve_the_network_unsafely(command, monkeypatch, tmp_path, capsys):
    from aiohttp import web

    from bot.ops.cli import main
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    if "--demo" in command:
        for name, value in OWN_SECRETS.items():
            monkeypatch.setenv(name, value)
    else:
        for name in OWN_SECRETS:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(web, "run_app", lambda *a, **k: 1 / 0)  # never serve, whatever happens
    assert main(command) == 2
    assert ("loopback" if "--demo" in command else "development") in capsys.readouterr().err


def test_the_action_server_refuses_another_interface_with_the_dev_secret(tmp_path):
    env = {**stack_environment(), "BIND_HOST": "0.0.0.0", "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    env.pop("ACTION_SERVER_SECRET")
    done = subprocess.run([sys.executable, "-m", "bot.ops.action_server", "--port", str(free_port())], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "refusing to listen on 0.0.0.0" in done.stderr.strip().splitlines()[-1]


def test_bot_run_binds_every_server_to_loopback_and_gives_rasa_no_wildcard_cors(tmp_path, monkeypatch):
    spawned = {}

    class Recorder(Stack):
        def spawn(self, name, args, url, ready_url, timeout, log=None, env=None):
            spawned[name] = args
            self.urls[name] = url
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"archive")
    write_model_digest(model)
    for name in ("BIND_HOST", "RASA_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    stack = Recorder(env=stack_environment())
    runner.start_assistant(stack, model=model, rasa_port=1, actions_port=2)
    runner.start_console(stack, 3)
    runner.start_widget(stack, 4, demo_seed="seeds/demo.yml")
    rasa = spawned["rasa"]
    assert "--cors" not in rasa and rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert all(args[args.index("--host") + 1] == "127.0.0.1" for args in (spawned["console"], spawned["widget"]))
    assert settings(stack.env).bind_host == "127.0.0.1"  # what the action server binds to
    stack.env["RASA_CORS_ORIGINS"] = "https://www.grouptrack.example"
    assert runner.rasa_cors_arguments(stack.env) == ["--cors", "https://www.grouptrack.example"]


# --- localstripe listens on loopback only ----------------------------------------------------

def test_localstripe_is_reachable_from_this_machine_only(tmp_path):
    address, port = outside_address(), free_port()
    stack = Stack(env=stack_environment(), logs=tmp_path)
    try:
        start_localstripe(stack, port)
        assert reachable("127.0.0.1", port)
        assert not reachable(address, port), f"localstripe answers on {address}:{port}"
    finally:
        stack.stop()


# --- the live stack, as `make run` starts it --------------------------------------------------

@pytest.mark.e2e
def test_no_live_server_answers_on_another_interface(live):
    address = outside_address()
    for name, url in live.urls.items():
        port = int(url.rsplit(":", 1)[1])
        assert reachable("127.0.0.1", port), name
        assert not reachable(address, port), f"{name} answers on {address}:{port}"


@pytest.mark.e2e
def test_rasa_does_not_hand_its_answers_to_any_site(live):
    for method in ("GET", "OPTIONS"):
        response = requests.request(method, f"{live.urls['rasa']}/", timeout=10, headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in response.headers, dict(response.headers)


@pytest.mark.e2e
def test_the_demo_page_mints_no_token_for_anyone_else_and_no_site_may_read_it(live):
    widget = live.urls["widget"]
    anyone = requests.get(f"{widget}/demo", params={"customer": "anyone@example.org"}, timeout=10)
    assert anyone.status_code == 404 and "data-customer-token" not in anyone.text
    demo = requests.get(f"{widget}/demo", params={"customer": "rae@example.com"}, timeout=10,
                        headers={"Origin": "https://evil.example"})
    assert demo.status_code == 200 and "Access-Control-Allow-Origin" not in demo.headers


@pytest.mark.e2e
def test_sender_ids_made_up_by_the_hundred_from_one_address_are_slowed_down(live):
    def post(n: int) -> int:
        request = urllib.request.Request(
            f"{live.urls['rasa']}/webhooks/rest/webhook", method="POST",
            data=json.dumps({"sender": f"made-up-{n}", "message": "hi"}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.77"})  # as nginx relays
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
    statuses = [post(n) for n in range(40)]
    assert statuses[:30] == [200] * 30 and 429 in statuses[30:], statuses


@pytest.mark.e2e
def test_an_oversized_token_through_the_widget_is_a_clear_400(live):
    response = requests.post(f"{live.urls['widget']}/api/messages", timeout=30, json={
        "conversation_id": "0f8b7c2e-4a1d-4c1e-9a77-2b0c5f1d9e11", "text": "hi", "customer_token": "x" * 10_000})
    assert response.status_code == 400 and "customer_token" in response.json()["error"]


@pytest.mark.e2e
def test_a_lone_surrogate_in_a_chat_never_breaks_the_agents_case_page(live):
    from sqlalchemy import select

    from bot.app.identity import issue_customer_token
    from bot.db import models
    from bot.db.session import unit_of_work
    sender = "surrogate-zoe"
    token = issue_customer_token("zoe@example.com", secret=SECRET)
    assert "case #" in texts(say(live, sender, "I cancelled but you charged me anyway, refund please", token))
    body = '{"sender": "%s", "message": "and \\ud800 also \\u001b[2J this", "metadata": {"customer_token": "%s"}}' % (
        sender, token)
    sent = requests.post(f"{live.urls['rasa']}/webhooks/rest/webhook", data=body.encode(), timeout=60,
                         headers={"Content-Type": "application/json"})
    assert sent.status_code == 200
    engine = mirror(live)
    with unit_of_work(engine) as session:
        case_id = session.execute(select(models.ReviewCase.id).where(
            models.ReviewCase.conversation_id == sender)).scalar_one()
    engine.dispose()
    page = Agent(live.urls["console"], "bob").page(f"/cases/{case_id}")
    assert page.status_code == 200 and "and \ufffd also [2J this" in page.text


def test_the_loopback_only_folder_holds_nothing_but_its_sitecustomize():
    folder = Path(runner.LOOPBACK_ONLY)
    assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == ["sitecustomize.py"]
