"""Attacks on the agent console (issue 14, items 5, 6, 7 and 9), in-process on SQLite and
PostgreSQL: guessing passwords, text no page could show, absurd case ids, loosely read
amounts, and error pages without the security headers."""
from __future__ import annotations

import asyncio
import re
import threading
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import agents
from bot.app.refunds import assess_refund
from bot.db import models
from bot.db.session import unit_of_work
from bot.web.console import app as console_app
from tests.conftest import DEMO_NOW

PASSWORD = "the right password"
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")


class Transcripts:
    def __init__(self, lines=()):
        self.lines = list(lines)

    def transcript(self, conversation_id):
        return self.lines


class Clock:
    def __init__(self, monkeypatch):
        self.now = DEMO_NOW
        monkeypatch.setattr(console_app, "now_utc", lambda: self.now)


class Hashes:
    """Counts the password checks (argon2) and the most running at once."""

    def __init__(self, monkeypatch):
        self.count, self.running, self.most, self.lock = 0, 0, 0, threading.Lock()
        authenticate = agents.authenticate

        def counted(*args, **kwargs):
            with self.lock:
                self.count, self.running = self.count + 1, self.running + 1
                self.most = max(self.most, self.running)
            try:
                return authenticate(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1
        monkeypatch.setattr(agents, "authenticate", counted)


def run(engine, scenario, conversations=None, gateway=None):
    async def go():
        client = TestClient(TestServer(console_app.make_app(engine=engine, conversations=conversations,
                                                            gateway=gateway)))
        await client.start_server()
        try:
            return await scenario(client)
        finally:
            await client.close()
    return asyncio.run(go())


async def login(client, username: str, password: str, address: str | None = None):
    page = await client.get("/login")
    nonce = LOGIN_CSRF.search(await page.text()).group(1)
    headers = {"X-Forwarded-For": address} if address else {}
    response = await client.post("/login", data={"username": username, "password": password, "login_csrf": nonce},
                                 headers=headers, allow_redirects=False)
    return response.status, await response.text()


@pytest.fixture
def alice(engine):
    agents.create_agent("alice", PASSWORD, engine=engine)
    return engine


# --- item 5: sign-in throttling -----------------------------------------------------------

def test_thirty_wrong_passwords_then_the_right_one_is_refused_and_the_owner_is_told(alice, monkeypatch):
    clock, hashes = Clock(monkeypatch), Hashes(monkeypatch)

    async def scenario(client):
        wrong = [await login(client, "alice", f"guess {n}") for n in range(30)]
        right_away = await login(client, "alice", PASSWORD)
        clock.now += timedelta(seconds=2)
        later = await login(client, "alice", PASSWORD)
        queue = await client.get("/")
        return wrong, right_away, later, await queue.text()
    wrong, right_away, later, queue = run(alice, scenario)
    assert [status for status, _ in wrong[:3]] == [401] * 3 and {status for status, _ in wrong[4:]} == {429}
    assert hashes.count == 4 + 1  # four guesses were checked, then the right password once the wait was over
    assert right_away[0] == 429
    assert "Too many failed sign-ins" in right_away[1] and "try again in 1 second" in right_away[1]
    assert later[0] == 303
    # 30 guesses and the right password refused while the account waited
    assert "31 failed sign-in attempts on your account since you last signed in" in " ".join(queue.split())


def test_one_address_guessing_many_usernames_is_slowed_down(alice, monkeypatch):
    Clock(monkeypatch)
    hashes = Hashes(monkeypatch)

    async def scenario(client):
        return [(await login(client, f"user{n}", "guess", address="203.0.113.9"))[0] for n in range(14)]
    statuses = run(alice, scenario)
    assert statuses[:10] == [401] * 10 and statuses[11:] == [429] * 3 and hashes.count == 11


def test_tries_at_the_same_moment_cannot_slip_past_the_count(alice, monkeypatch):
    Clock(monkeypatch)
    hashes = Hashes(monkeypatch)

    async def scenario(client):
        return await asyncio.gather(*[login(client, "alice", f"guess {n}", address=f"198.51.100.{n}")
                                      for n in range(10)])
    statuses = sorted(status for status, _ in run(alice, scenario))
    assert hashes.count <= 4 and statuses.count(401) == hashes.count and statuses.count(429) == 10 - hashes.count


def test_no_more_than_two_passwords_are_hashed_at_once(alice, monkeypatch):
    Clock(monkeypatch)
    hashes = Hashes(monkeypatch)

    async def scenario(client):
        return await asyncio.gather(*[login(client, f"user{n}", "guess", address=f"192.0.2.{n}") for n in range(8)])
    assert {status for status, _ in run(alice, scenario)} == {401}
    assert hashes.count == 8 and hashes.most <= 2


# --- item 6: text no page can show, and absurd ids ----------------------------------------

def signed_in(scenario_after_login):
    async def scenario(client):
        assert (await login(client, "alice", PASSWORD))[0] == 303
        return await scenario_after_login(client)
    return scenario


def test_a_lone_surrogate_stored_or_in_the_transcript_never_breaks_the_case_page(alice, demo_customers):
    from bot.ops.seed import write_customers
    with unit_of_work(alice) as session:
        write_customers(session, demo_customers)
    case_id = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, conversation_id="ben-s",
                            engine=alice).case_id
    with unit_of_work(alice) as session:  # what an older version stored: JSON keeps "\ud800" as an escape
        session.add(models.CaseEvent(case_id=case_id, at=DEMO_NOW, actor="assistant", action="note",
                                     detail={"note": "refund \ud800 please"}))
    transcript = Transcripts([{"who": "customer", "text": "hello \udfff\x1b[31m", "at": None}])

    async def after(client):
        pages = [await client.get(f"/cases/{case_id}") for _ in range(2)]
        return [(p.status, await p.text()) for p in pages]
    pages = run(alice, signed_in(after), conversations=transcript)
    assert [status for status, _ in pages] == [200, 200]
    assert "hello \ufffd[31m" in pages[0][1] and "refund \ufffd please" in pages[0][1] and "\x1b" not in pages[0][1]


@pytest.mark.parametrize("case_id",
                         ["99999999999999999999999", "2147483648", "-1", "0", "\u0663", "1e3", "00000000001"])
def test_unknown_or_absurd_case_ids_are_404s_with_the_headers(alice, case_id):
    async def after(client):
        responses = [await client.get(f"/cases/{case_id}"), await client.post(f"/cases/{case_id}/claim")]
        return [(r.status, r.headers) for r in responses]
    for status, headers in run(alice, signed_in(after)):
        assert status in (403, 404) and all(name in headers for name in HEADERS), (status, dict(headers))


# --- item 9: the security headers on every response ---------------------------------------

def test_every_console_response_carries_the_security_headers(alice, monkeypatch):
    Clock(monkeypatch)

    async def scenario(client):
        seen = [await client.get("/", allow_redirects=False),  # 303 to the sign-in page
                await client.post("/login", data={"username": "alice", "password": "x", "login_csrf": "forged"})]
        assert (await login(client, "alice", "wrong"))[0] == 401
        assert (await login(client, "alice", PASSWORD))[0] == 303
        seen += [await client.get("/no-such-page"), await client.get("/cases/12345"),
                 await client.post("/cases/1/claim", data={"csrf": "forged"}, allow_redirects=False)]
        return [(r.status, r.headers) for r in seen]
    statuses = []
    for status, headers in run(alice, scenario):
        statuses.append(status)
        assert all(name in headers for name in HEADERS), (status, dict(headers))
    assert statuses == [303, 403, 404, 404, 403]


# --- item 7: amounts an agent types -------------------------------------------------------

@pytest.mark.parametrize("typed, language", [("USD 4-9", "en-US"), ("-100", "en-US"), ("+5", "en-US"),
                                             ("1e3", "en-US"), ("12.50", "de-DE"), ("49 USD!", "en-US")])
def test_a_loosely_written_amount_is_refused_and_nothing_is_paid(alice, demo_customers, typed, language):
    from bot.ops.seed import write_customers
    with unit_of_work(alice) as session:
        write_customers(session, demo_customers)
    case_id = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, conversation_id="ben-a",
                            engine=alice).case_id

    async def after(client):
        page = await client.get(f"/cases/{case_id}")
        csrf = CSRF.search(await page.text()).group(1)
        response = await client.post(f"/cases/{case_id}/decide", headers={"Accept-Language": language},
                                     data={"csrf": csrf, "verdict": "adjust", "amount": typed, "note": "ok"},
                                     allow_redirects=False)
        return response.status, await response.text()
    status, page = run(alice, signed_in(after))
    assert status == 400 and "The amount:" in page, page[:300]
    with unit_of_work(alice) as session:
        assert session.execute(select(models.LedgerEntry)).scalars().all() == []
        assert session.get(models.ReviewCase, case_id).status == "open"


def test_an_amount_in_the_agents_own_locale_is_paid_exactly(alice, demo_customers, gateway):
    from bot.billing.mirror.push import push_to_stripe
    from bot.ops.seed import write_customers
    with unit_of_work(alice) as session:
        write_customers(session, demo_customers)
    push_to_stripe(alice, gateway)
    case_id = assess_refund("ben@example.com", "late_cancellation", now=DEMO_NOW, conversation_id="ben-de",
                            engine=alice).case_id

    async def after(client):
        page = await client.get(f"/cases/{case_id}", headers={"Accept-Language": "de-DE,de;q=0.9"})
        text = await page.text()
        response = await client.post(f"/cases/{case_id}/decide", headers={"Accept-Language": "de-DE,de;q=0.9"},
                                     data={"csrf": CSRF.search(text).group(1), "verdict": "adjust",
                                           "amount": "12,50", "note": "Kulanz."}, allow_redirects=False)
        return text, response.status
    page, status = run(alice, signed_in(after), gateway=gateway)
    assert 'value="30,84"' in page  # the proposal, written the way this agent writes amounts
    assert status == 303
    with unit_of_work(alice) as session:
        assert [e.amount for e in session.execute(select(models.LedgerEntry)).scalars()] == [1250]
