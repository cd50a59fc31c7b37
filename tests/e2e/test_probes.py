"""The probes deploy/k8s gives each pod mean what they say: ready is a loaded model and databases
that answer, on the real servers; Rasa's own `/` is shown not to mean a loaded model."""
from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest

from bot.ops.processes import Stack, free_port, quietly, wait_for_http
from bot.settings import ROOT

pytestmark = pytest.mark.e2e


def probe(env: dict, kind: str, url: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "bot.ops.probe", kind, url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    return done.returncode, done.stderr.strip()


def test_every_server_of_the_stack_is_ready(live):
    assert probe(live.env, "rasa", live.urls["rasa"]) == (0, "")
    for server in ("actions", "console", "widget"):
        assert probe(live.env, "app", f"{live.urls[server]}/health") == (0, ""), server


def test_a_server_is_not_ready_when_its_database_does_not_answer_or_rasa_refuses_the_token(live, tmp_path):
    gone = {**live.env, "DATABASE_URL": f"sqlite:///{tmp_path}/missing/app.db"}
    code, why = probe(gone, "app", f"{live.urls['console']}/health")
    assert code == 1 and why.startswith("not ready: the app database does not answer"), why
    tracker_gone = {**live.env, "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": str(free_port()),
                    "TRACKER_DB_NAME": "tracker", "TRACKER_DB_USER": "rasa"}
    code, why = probe(tracker_gone, "rasa", live.urls["rasa"])
    assert code == 1 and "the tracker database does not answer" in why, why
    code, why = probe({**live.env, "RASA_AUTH_TOKEN": "not-the-token"}, "rasa", live.urls["rasa"])
    assert (code, why) == (1, "not ready: /status answered 401")
    code, why = probe(live.env, "app", f"http://127.0.0.1:{free_port()}/health")
    assert code == 1 and "Connection refused" in why, why


def test_rasa_says_hello_with_no_model_loaded_and_only_the_probe_tells(live, tmp_path):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a model archive")
    port = free_port()
    stack = Stack(env={**live.env, "ACTION_ENDPOINT_URL": f"{live.urls['actions']}/webhook"}, logs=tmp_path)
    try:
        rasa = stack.launch("rasa-broken", quietly(
            "bot.ops.rasa_patches", "run", "--model", str(broken), "--port", str(port), "--enable-api",
            "--auth-token", live.env["RASA_AUTH_TOKEN"], "--endpoints", "endpoints.yml"))
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/", 240, rasa)
        with urllib.request.urlopen(f"{url}/", timeout=5) as hello:
            assert hello.status == 200 and b"Hello from Rasa" in hello.read()
        assert probe(live.env, "rasa", url) == (1, "not ready: /status answered 409")
    finally:
        stack.stop()
