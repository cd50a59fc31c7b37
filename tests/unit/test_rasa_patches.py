"""bot/ops/rasa_patches.py: our changes to Rasa and rasa-sdk are installed from one place, by
every process that runs them, only on the versions they were read against; another version,
or a Rasa server started around that place, is refused in one line, without a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot.ops import rasa_patches
from bot.ops.processes import free_port, quiet_environment
from bot.settings import ROOT

# Run in a fresh interpreter: `importlib.metadata` reports VERSIONS for these packages.
PRETEND = ("import importlib.metadata as m\nreal = m.version\nVERSIONS = {versions!r}\n"
           "m.version = lambda name: VERSIONS.get(name) or real(name)\n")


def python(code: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=quiet_environment(), capture_output=True,
                          text=True, timeout=timeout)


def refusal(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.stderr.strip().splitlines()[-1]


def test_rasa_of_another_version_is_refused_in_one_line():
    done = python(PRETEND.format(versions={"rasa": "3.7.0"})
                  + "import runpy, sys\nsys.argv = ['rasa_patches', 'run', '--help']\n"
                  "runpy.run_module('bot.ops.rasa_patches', run_name='__main__')\n")
    assert refusal(done) == ("rasa: rasa 3.7.0 is installed, but this project's changes to it "
                             "(bot/ops/rasa_patches.py) were written for rasa 3.6.21: install requirements.lock "
                             "(make install)")


def test_an_action_server_on_another_rasa_sdk_is_refused_in_one_line():
    done = python(PRETEND.format(versions={"rasa-sdk": "3.8.0"}) + "from bot.ops.action_server import main\n"
                  f"main(['--port', '{free_port()}'])\n")
    assert refusal(done) == ("action server: rasa-sdk 3.8.0 is installed, but this project's changes to it "
                             "(bot/ops/rasa_patches.py) were written for rasa-sdk 3.6.2: install requirements.lock "
                             "(make install)")


def test_a_rasa_server_started_without_the_patches_refuses_before_it_serves(tmp_path):
    """`rasa run` loads our channels (credentials.yml) before its model; they stop it there."""
    done = subprocess.run([sys.executable, "-m", "bot.ops.quiet", "rasa", "run", "--credentials", "credentials.yml",
                           "--endpoints", "endpoints.yml", "--model", str(tmp_path / "never-loaded.tar.gz"),
                           "--port", str(free_port())],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, env={
                              **quiet_environment(), "ACTION_SERVER_SECRET": "s",  # what endpoints.yml names
                              "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}/webhook"})
    assert refusal(done).startswith("rasa: start it with `python -m bot.ops.rasa_patches run ...`")


def test_importing_our_modules_changes_nothing_of_rasas():
    done = python("import channels, channels.rest, bot.ops.rasa_tuning, bot.ops.rasa_session, bot.ops.action_threads\n"
                  "from rasa.core.actions import action\nfrom rasa.core.agent import Agent\n"
                  "from rasa_sdk import endpoint\n"
                  "print(action.ActionSessionStart.__module__, Agent.load_model.__module__, "
                  "action.RemoteAction._validate_action_result.__module__, endpoint.ActionExecutor.__module__)\n")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["rasa.core.actions.action", "rasa.core.agent", "rasa.core.actions.action",
                                   "rasa_sdk.executor"]


def test_each_patch_says_what_it_was_read_against_and_the_installed_versions_are_those():
    for patch in rasa_patches.RASA_PATCHES + rasa_patches.ACTION_SERVER_PATCHES:
        assert patch.read_against and patch.changes
    rasa_patches.check_versions(rasa_patches.RASA_PATCHES + rasa_patches.ACTION_SERVER_PATCHES)


def test_every_patch_is_in_place_after_the_one_install():
    from rasa.core.actions import action
    from rasa.core.agent import Agent
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk import endpoint

    from bot.ops import action_threads, rasa_session, rasa_tuning

    rasa_patches.install_in_rasa()
    rasa_patches.install_in_action_server()
    rasa_patches.require_installed()  # does not exit
    assert action.RemoteAction._validate_action_result is rasa_tuning._validate_action_result
    assert EndpointConfig.session is rasa_tuning._kept_session
    assert TEDPolicy.predict_action_probabilities.remembers and Agent.load_model.freezes
    assert action.ActionSessionStart is rasa_session.SessionStart
    assert MessageProcessor._has_session_expired.asks_again
    assert endpoint.ActionExecutor is action_threads.PooledActionExecutor


def test_a_rasa_server_without_them_is_stopped(monkeypatch):
    monkeypatch.setattr(rasa_patches, "_installed", set())
    with pytest.raises(SystemExit) as stopped:
        rasa_patches.require_installed()
    assert "python -m bot.ops.rasa_patches run" in str(stopped.value.code)
