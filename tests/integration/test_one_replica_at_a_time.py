"""What must happen once however many replicas run it (deploy/k8s): migrations, the reconciler
and the IMAP poller. Each is shown with two real processes of the same `bot` command on one
database, as two pods on two hosts would run them; the lease itself also on SQLite."""
from __future__ import annotations

import multiprocessing
import signal
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import now_utc
from bot.db import leases
from bot.db.migrate import schema_is_newest
from bot.db.session import make_engine
from bot.ops.leader import lease_length
from bot.ops.processes import BIN, quiet_environment
from bot.settings import ROOT
from tests.conftest import _postgres_database

HEAD = sorted(p.name.split("_")[0] for p in (ROOT / "bot/db/migrations/versions").glob("0*.py"))[-1]


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


def bot(url: str, *args: str, log: Path | None = None, **env: str) -> subprocess.Popen:
    """`bot ARGS` in its own process on the database at `url`; stderr to `log` when given."""
    return subprocess.Popen([str(BIN / "bot"), *args], cwd=ROOT, env={
        **quiet_environment(), "DATABASE_URL": url, "STRIPE_API_BASE": "http://127.0.0.1:9", **env},
        stdout=subprocess.PIPE, stderr=open(log, "w") if log else subprocess.PIPE, text=True)


def test_replicas_migrating_at_the_same_moment_run_each_migration_once(postgres_url):
    """Without the advisory lock in migrations/env.py, the second process fails on the tables
    the first is creating (seen: UniqueViolation on pg_type, three runs in three)."""
    processes = [bot(postgres_url, "migrate") for _ in range(3)]
    outcomes = [(p.wait(120), p.stderr.read()) for p in processes]
    assert outcomes == [(0, "")] * 3, outcomes
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    finally:
        engine.dispose()


def test_a_replica_of_the_new_version_waits_for_the_migration_before_it_serves(postgres_url):
    assert not schema_is_newest(postgres_url)
    quick = bot(postgres_url, "migrate", "--wait", "1")
    assert quick.wait(60) == 1 and "not at this version's schema after 1 s" in quick.stderr.read()
    waiting = bot(postgres_url, "migrate", "--wait", "120")
    time.sleep(2)
    assert waiting.poll() is None, "it went on before the schema was migrated"
    assert bot(postgres_url, "migrate").wait(120) == 0  # the migration Job
    assert waiting.wait(30) == 0 and "at this version's schema" in waiting.stdout.read()


def _race(url: str, name: str, start: float, results) -> None:
    engine = make_engine(url)
    while time.time() < start:
        time.sleep(0.001)
    results.put(leases.hold(name, leases.holder_id(), now=now_utc(), ttl=timedelta(seconds=30), engine=engine))
    engine.dispose()


def test_many_processes_asking_for_a_free_lease_at_once_give_it_to_one(engine):
    url = engine.url.render_as_string(hide_password=False)
    results = multiprocessing.get_context("spawn").Queue()
    start = time.time() + 3  # the spawned interpreters are ready by then
    racers = [multiprocessing.get_context("spawn").Process(target=_race, args=(url, "job", start, results))
              for _ in range(6)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    assert sorted(results.get(timeout=5) for _ in racers) == [False] * 5 + [True]


def test_a_lease_is_kept_while_renewed_and_taken_over_only_once_it_lapsed_or_was_released(engine):
    start, ttl = now_utc(), timedelta(seconds=30)
    assert leases.hold("job", "a", now=start, ttl=ttl, engine=engine)
    assert not leases.hold("job", "b", now=start + timedelta(seconds=29), ttl=ttl, engine=engine)
    assert leases.hold("job", "a", now=start + timedelta(seconds=29), ttl=ttl, engine=engine)  # renewed
    assert not leases.hold("job", "b", now=start + timedelta(seconds=58), ttl=ttl, engine=engine)
    assert leases.hold("job", "b", now=start + timedelta(seconds=60), ttl=ttl, engine=engine)  # a died
    assert leases.holder_of("job", now=start + timedelta(seconds=60), engine=engine) == "b"
    leases.release("job", "a", engine=engine)  # a, back, cannot drop b's lease
    assert leases.holder_of("job", now=start + timedelta(seconds=61), engine=engine) == "b"
    leases.release("job", "b", engine=engine)
    assert leases.hold("job", "a", now=start + timedelta(seconds=61), ttl=ttl, engine=engine)
    assert leases.hold("other-job", "b", now=start + timedelta(seconds=61), ttl=ttl, engine=engine)


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def holder_pid(url: str, name: str) -> int | None:
    engine = make_engine(url)
    try:
        holder = leases.holder_of(name, now=now_utc(), engine=engine)
    finally:
        engine.dispose()
    return int(holder.split("/")[1]) if holder else None


def two_replicas_take_turns(url: str, name: str, args: list[str], logs: Path, **env: str) -> list[str]:
    """Two processes of one job: one does it, the other stands by until the first is stopped
    (SIGTERM, as Kubernetes stops a pod), then takes over at once. Returns their stdout."""
    first = bot(url, *args, log=logs / "first.log", **env)
    wait_for(lambda: holder_pid(url, name) == first.pid, 60, "the first process never took the job")
    second = bot(url, *args, log=logs / "second.log", **env)
    try:
        wait_for(lambda: "standing by" in (logs / "second.log").read_text(), 60, "the second never stood by")
        for _ in range(20):  # a few rounds each: the job stays with the first
            assert holder_pid(url, name) == first.pid
            time.sleep(0.1)
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
        wait_for(lambda: holder_pid(url, name) == second.pid, 10, "the second did not take over")
        assert lease_length(0.3) >= timedelta(seconds=30)  # so the hand-over above was the release, not a lapse
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        assert holder_pid(url, name) is None
        return [first.stdout.read(), second.stdout.read()]
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()


def test_two_reconcilers_one_reconciles_and_the_other_takes_over_when_it_stops(postgres_url, tmp_path):
    assert bot(postgres_url, "migrate").wait(120) == 0
    two_replicas_take_turns(postgres_url, "reconciler", ["reconcile", "--every", "0.3"], tmp_path)
    first, second = ((tmp_path / f"{n}.log").read_text() for n in ("first", "second"))
    assert "reconciler: this process" in first and "standing by" not in first
    assert second.index("standing by") < second.index("reconciler: this process")


class Channel:
    """Rasa's email channel as the poller sees it: records each message it is handed."""

    def __init__(self):
        self.tokens: list[str] = []
        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                channel.tokens.append(self.headers["X-Mail-Token"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_two_imap_pollers_hand_each_message_over_once_and_one_polls_at_a_time(postgres_url, tmp_path, imap_server):
    from tests.support.imap_server import mailbox  # the Dovecot fixture's own client: only this test uses it
    assert bot(postgres_url, "migrate").wait(120) == 0
    channel, imap = Channel(), mailbox(imap_server)
    try:
        for n in range(3):
            imap.append("INBOX", None, None, f"From: p{n}@example.org\r\nSubject: {n}\r\n\r\nHello {n}\r\n".encode())
        env = {"IMAP_HOST": imap_server["host"], "IMAP_PORT": str(imap_server["port"]), "IMAP_SSL": "0",
               "IMAP_USER": imap_server["user"], "IMAP_PASSWORD": imap_server["password"],
               "EMAIL_WEBHOOK_SIGNING_KEY": "poller-test-key", "RASA_URL": channel.url}
        outputs = two_replicas_take_turns(postgres_url, f"email-poll:{imap_server['user']}@{imap_server['host']}",
                                          ["email-poll", "--interval", "1"], tmp_path, **env)
        assert len(channel.tokens) == len(set(channel.tokens)) == 3
        assert "3 new message(s) answered" in outputs[0]
    finally:
        channel.server.shutdown()
        imap.select("INBOX")
        imap.store("1:*", "+FLAGS", "(\\Deleted)")  # the mailbox is the session's: leave it as found
        imap.expunge()
        imap.logout()
