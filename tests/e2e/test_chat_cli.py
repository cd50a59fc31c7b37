"""`bot chat`, the operator's terminal client, against the running servers: signed in with
`--as` (buttons as numbered choices), and as a visitor who proves an address with the
emailed code."""
from __future__ import annotations

import os
import queue
import subprocess
import threading
import time

import pytest

from bot.ops.processes import BIN
from tests.conftest import ROOT
from tests.support.e2e_stack import latest_code

pytestmark = pytest.mark.e2e
PROMPT = "you> "


def chat(live, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "bot"), "chat", "--url", live.urls["rasa"], *args], cwd=ROOT,
                            env={**live.env, "PYTHONUNBUFFERED": "1"}, text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)


def test_signed_in_the_buttons_are_numbered_choices(live):
    session = chat(live, "--as", "ole@example.com")
    out, _ = session.communicate("what plan am I on?\nI want to change my plan\n1\n2\n", timeout=300)
    assert session.returncode == 0, out
    assert "signed in as ole@example.com" in out
    assert "assistant: You're on the Pro monthly plan at $49.00 a month." in out
    assert "  1. Starter monthly, $19.00 a month\n" in out
    assert "(you chose: Starter monthly, $19.00 a month)" in out and "Shall I switch you?" in out
    assert "(you chose: No, keep my plan)" in out and "your plan stays as it is" in out


class Terminal:
    """A `bot chat` session read up to each prompt, as a person at the terminal would."""

    def __init__(self, session: subprocess.Popen):
        self.session, self.chars = session, queue.Queue()
        threading.Thread(target=lambda: [self.chars.put(c) for c in iter(lambda: session.stdout.read(1), "")],
                         daemon=True).start()

    def until_prompt(self, timeout: float = 120) -> str:
        text, deadline = "", time.monotonic() + timeout
        while not text.endswith(PROMPT):
            text += self.chars.get(timeout=max(0.1, deadline - time.monotonic()))
        return text

    def say(self, line: str) -> str:
        self.session.stdin.write(line + "\n")
        self.session.stdin.flush()
        return self.until_prompt()


def test_a_visitor_proves_the_address_with_the_emailed_code(live):
    terminal = Terminal(chat(live))
    try:
        assert "a visitor" in terminal.until_prompt()
        assert "email address" in terminal.say("what plan am I on?")
        assert "6-digit code" in terminal.say("ole@example.com")
        terminal.say(latest_code(live, "ole@example.com"))
        assert "You're on the Pro monthly plan" in terminal.say("what plan am I on?")
    finally:
        terminal.session.stdin.close()
        terminal.session.wait(timeout=30)
    assert terminal.session.returncode == 0


def test_no_assistant_there_is_one_line_and_a_failure():
    done = subprocess.run([str(BIN / "bot"), "chat", "--url", "http://127.0.0.1:9"], cwd=ROOT, input="hello\n",
                          env={**os.environ}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("bot chat: cannot reach the assistant at http://127.0.0.1:9")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
