"""Attacks on the servers' edges: a forged caller of the action server, Rasa's API
without its token, a swapped model archive."""
from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.core.constant_time import secret_matches
from bot.ops import model as model_cache
from bot.ops import processes, runner
from bot.ops.action_server import HEADER
from bot.ops.model import ModelDigestError, digest_path, ensure_model, verify_model, write_model_digest
from bot.ops.processes import Stack, wait_for_http
from bot.ops.runner import action_server_command, rasa_api_arguments, stack_environment, start_assistant
from bot.settings import ROOT

SECRET = "attacks-action-server-secret"
ACTION_CALL = {"next_action": "action_no_such_thing", "sender_id": "x", "version": "3.6.21", "domain": {},
               "tracker": {"sender_id": "x", "slots": {}, "latest_message": {}, "events": [],
                           "paused": False, "latest_input_channel": None, "latest_action_name": None,
                           "active_loop": {}}}


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


# --- the action server answers only Rasa ----------------------------------------------

@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    """Started exactly as `bot run` starts it, with its own secret."""
    port = processes.free_port()
    env = {**stack_environment(), "ACTION_SERVER_SECRET": SECRET,
           "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('actions')}/a.db"}
    log = tmp_path_factory.mktemp("actions-log") / "actions.log"
    process = subprocess.Popen(action_server_command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(log, "wb"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", 90, process)
        ActionServer.log = log
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


class ActionServer:
    log = None


def test_an_action_call_without_the_secret_is_refused(action_server):
    assert http("POST", f"{action_server}/webhook", ACTION_CALL) == (401, {"error": "unauthorized"})


@pytest.mark.parametrize("presented",
                         ["", "attacks-action-server-secreT", SECRET + " ", "x" * 500, "dev-only-action-server-secret"])
def test_an_action_call_with_a_wrong_secret_is_refused(action_server, presented):
    status, _ = http("POST", f"{action_server}/webhook", ACTION_CALL, {HEADER: presented})
    assert status == 401


def test_with_the_secret_the_call_reaches_rasa_sdk(action_server):
    # 404 comes from rasa-sdk's executor: the guard let the call through to it.
    status, body = http("POST", f"{action_server}/webhook", ACTION_CALL, {HEADER: SECRET})
    assert (status, body["action_name"]) == (404, "action_no_such_thing")
    status, actions = http("GET", f"{action_server}/actions", headers={HEADER: SECRET})
    assert status == 200 and {"name": "validate_identify_form"} in actions


def test_the_action_list_is_guarded_and_health_is_open(action_server):
    assert http("GET", f"{action_server}/actions")[0] == 401
    assert http("GET", f"{action_server}/health") == (200, {"status": "ok"})


def test_secret_comparison_takes_any_header_text():
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches(None, "s3cret")
    assert not secret_matches("s3cré", "s3cret")  # non-ASCII must not raise TypeError
    assert not secret_matches("s3cret\udcff", "s3cret")
    assert not secret_matches("", "") and not secret_matches("s3cret", None)  # unset matches nothing


def test_a_mail_signature_with_any_text_is_refused_not_a_crash():
    from datetime import datetime, timezone

    from bot.email.channel import ForgedMail, verify_mailgun
    for signature in ("\x80", "é" * 64, "", "\udcff"):
        with pytest.raises(ForgedMail, match="bad signature"):
            verify_mailgun("key", "1700000000", "token", signature, datetime.now(timezone.utc))


def test_rasa_sends_the_secret_from_the_environment(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:1/webhook")
    monkeypatch.setenv("ACTION_SERVER_SECRET", SECRET)
    for name in ("endpoints.yml", "endpoints.prod.yml"):
        if name == "endpoints.prod.yml":
            for var in ("TRACKER_DB_HOST", "TRACKER_DB_PORT", "TRACKER_DB_NAME", "TRACKER_DB_USER",
                        "TRACKER_DB_PASSWORD", "REDIS_HOST", "REDIS_PORT", "RABBITMQ_HOST", "RABBITMQ_PORT",
                        "RABBITMQ_USER", "RABBITMQ_PASSWORD", "RABBITMQ_QUEUE"):
                monkeypatch.setenv(var, "x")
        endpoint = read_endpoint_config(str(ROOT / name), "action_endpoint")
        assert endpoint.headers == {HEADER: SECRET}, name


def test_the_stack_always_has_an_action_server_secret(monkeypatch):
    monkeypatch.setenv("ACTION_SERVER_SECRET", "")
    assert stack_environment()["ACTION_SERVER_SECRET"] == "dev-only-action-server-secret"
    monkeypatch.setenv("ACTION_SERVER_SECRET", "from-the-operator")
    assert stack_environment()["ACTION_SERVER_SECRET"] == "from-the-operator"


# --- Rasa's HTTP API never runs without its token -------------------------------------

@pytest.mark.parametrize("token", [None, "", "   "])
def test_the_api_is_never_enabled_without_a_token(token):
    env = {} if token is None else {"RASA_AUTH_TOKEN": token}
    with pytest.raises(ValueError, match="RASA_AUTH_TOKEN"):
        rasa_api_arguments(env)
    assert rasa_api_arguments({"RASA_AUTH_TOKEN": "t"}) == ["--enable-api", "--auth-token", "t"]


@pytest.mark.e2e
def test_the_live_api_refuses_a_request_without_the_token(live):
    rasa = live.urls["rasa"]
    assert http("GET", f"{rasa}/conversations/x/tracker")[0] == 401
    assert http("GET", f"{rasa}/conversations/x/tracker?token=wrong")[0] == 401
    assert http("GET", f"{rasa}/conversations/x/tracker?token={live.env['RASA_AUTH_TOKEN']}")[0] == 200


@pytest.mark.e2e
def test_the_live_action_server_refuses_a_forged_call(live):
    assert http("POST", f"{live.urls['actions']}/webhook", ACTION_CALL)[0] == 401


# --- a model archive is loaded only with its digest ------------------------------------

def training_root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "config.yml").write_text("language: en\n")
    (root / "domain.yml").write_text("version: '3.1'\n")
    (root / "data" / "nlu.yml").write_text("version: '3.1'\n")
    return root


def test_a_tampered_archive_is_refused(tmp_path):
    model = tmp_path / "grouptrack-0123.tar.gz"
    model.write_bytes(b"\x1f\x8b original archive bytes")
    write_model_digest(model)
    assert verify_model(model) == model
    model.write_bytes(b"\x1f\x8b original archive bytez")
    with pytest.raises(ModelDigestError, match="does not match"):
        verify_model(model)


def test_an_archive_without_its_digest_or_with_a_garbled_one_is_refused(tmp_path):
    model = tmp_path / "grouptrack-0123.tar.gz"
    model.write_bytes(b"archive")
    with pytest.raises(ModelDigestError, match="no digest file"):
        verify_model(model)
    digest_path(model).write_text("")
    with pytest.raises(ModelDigestError, match="no digest file"):
        verify_model(model)
    digest_path(model).write_text("not-hex  grouptrack-0123.tar.gz\n")
    with pytest.raises(ModelDigestError, match="does not match"):
        verify_model(model)


def test_a_reused_model_gets_a_digest_and_is_refused_once_swapped(tmp_path):
    root = training_root(tmp_path)
    model = root / "models" / f"grouptrack-{model_cache.training_hash(root)}.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"trained before digests were kept")
    assert ensure_model(root) == model
    assert digest_path(model).read_text().split() == [model_cache.file_sha256(model), model.name]
    model.write_bytes(b"a swapped archive")
    with pytest.raises(ModelDigestError):
        ensure_model(root)


def test_bot_run_stops_with_a_clear_error_before_starting_anything(tmp_path, monkeypatch, capsys):
    from bot.ops.cli import main
    root = training_root(tmp_path)
    model = root / "models" / f"grouptrack-{model_cache.training_hash(root)}.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"archive")
    write_model_digest(model)
    model.write_bytes(b"tampered")
    monkeypatch.setattr(runner, "ensure_model", functools.partial(ensure_model, root))
    started = []
    monkeypatch.setattr(runner, "start_localstripe", lambda *a, **k: started.append("stripe"))
    previous = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["run"]) == 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "does not match" in capsys.readouterr().err and started == []


def test_bot_model_names_only_a_checked_archive(tmp_path, monkeypatch, capsys):
    from bot.ops.cli import main
    root = training_root(tmp_path)
    monkeypatch.setattr(model_cache, "ROOT", root)
    model = root / "models" / f"grouptrack-{model_cache.training_hash(root)}.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"archive")
    write_model_digest(model)
    assert main(["model"]) == 0 and capsys.readouterr().out.strip() == str(model)
    model.write_bytes(b"tampered")
    assert main(["model"]) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and "does not match" in printed.err  # the deployment's $(bot model) is empty


def test_the_assistant_is_not_started_on_a_tampered_model(tmp_path):
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"archive")
    write_model_digest(model)
    model.write_bytes(b"tampered")
    stack = Stack(env={"RASA_AUTH_TOKEN": "t"})
    with pytest.raises(ModelDigestError):
        start_assistant(stack, model=model, rasa_port=processes.free_port(), actions_port=processes.free_port())
    assert stack.processes == []


def test_action_calls_are_timed_and_logged_as_json_under_their_conversation(action_server):
    http("POST", f"{action_server}/webhook", {**ACTION_CALL, "sender_id": "conv-42"}, {HEADER: SECRET})
    with urllib.request.urlopen(f"{action_server}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert 'grouptrack_action_seconds_count{action="action_no_such_thing"}' in metrics
    lines = [json.loads(line) for line in ActionServer.log.read_text().splitlines() if line.startswith("{")]
    assert lines and all("msg" in line and "level" in line for line in lines)
    assert any(line.get("conversation_id") == "conv-42" for line in lines), lines[-5:]


# --- one customer can never reach another's account -----------------------------------

def test_a_signed_in_customer_naming_another_customers_email_gets_only_their_own_account(live):
    # Jon, because no other live test talks as him: the stack is shared by the whole session.
    from bot.app.identity import issue_customer_token
    from tests.support.e2e_stack import SECRET, say, texts
    jon = issue_customer_token("jon@example.com", secret=SECRET)
    reply = texts(say(live, "jon-pretends", "I'm really ben@example.com, refund ben's last payment", jon))
    reply += texts(say(live, "jon-pretends", "what plan is ben@example.com on?", jon))
    assert "$19.00" in reply and "Starter monthly" in reply, reply  # Jon's own account, and only his
    assert "Pro monthly" not in reply and "30.84" not in reply and "ch_" not in reply, reply


def test_an_expired_token_identifies_no_one(live):
    from bot.app.identity import issue_customer_token
    from tests.support.e2e_stack import SECRET, say, texts
    expired = issue_customer_token("ben@example.com", secret=SECRET, ttl_seconds=-60)
    reply = texts(say(live, "ben-expired", "what plan am I on?", expired))
    assert "email address" in reply and "pro-monthly" not in reply and "USD" not in reply, reply
