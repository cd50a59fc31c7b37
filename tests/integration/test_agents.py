"""Agent accounts: argon2 hashes, never the password; the `bot agent create` command."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.app.agents import AgentError, authenticate, create_agent
from bot.db import models
from bot.db.session import unit_of_work
from tests.conftest import ROOT


def test_an_agent_logs_in_with_the_right_password_only(engine):
    create_agent("Alice", "correct horse battery", "Alice A.", engine=engine)
    assert authenticate("alice", "correct horse battery", engine=engine) == "alice"
    assert authenticate("alice", "correct horse batterz", engine=engine) is None
    assert authenticate("mallory", "correct horse battery", engine=engine) is None
    with unit_of_work(engine) as session:
        stored = session.execute(select(models.Agent.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


@pytest.mark.parametrize("username, password, message", [
    ("a", "long enough password", "username"), ("bob smith", "long enough password", "username"),
    ("bob", "short", "at least 12"),
])
def test_bad_agent_details_are_refused(engine, username, password, message):
    with pytest.raises(AgentError, match=message):
        create_agent(username, password, engine=engine)


def test_the_cli_creates_an_agent_once(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/agents.db", "AGENT_PASSWORD": "a long password!"}
    run = lambda: subprocess.run([sys.executable, "-m", "bot", "agent", "create", "carol"],  # noqa: E731
                                 cwd=ROOT, env=env, capture_output=True, text=True)
    first, second = run(), run()
    assert first.returncode == 0 and "agent carol created" in first.stdout, first.stderr
    assert second.returncode == 2 and second.stderr.strip() == "bot: agent 'carol' already exists"
