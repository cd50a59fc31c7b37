"""The agent console over HTTP against the live stack: sign-in, CSRF, the queue, a case,
and an R2 conversation that an agent approves, paid once in Stripe and told to the
customer in their conversation."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from bot.db.session import unit_of_work
from bot.notify.rasa_api import RasaConversations
from tests.support.console_client import Agent
from tests.support.e2e_stack import SECRET, goes_quiet, mirror, say, stripe_refunds, texts

pytestmark = pytest.mark.e2e


def open_r2_case(live, email: str, sender: str) -> models.ReviewCase:
    """The customer's review case: a new one, or the one already open on the same payment."""
    reply = texts(say(live, sender, "I cancelled but you charged me anyway, refund please",
                      issue_customer_token(email, secret=SECRET)))
    assert "case #" in reply, reply
    engine = mirror(live)
    with unit_of_work(engine) as session:
        case = session.get(models.ReviewCase, int(re.search(r"case #(\d+)", reply).group(1)))
        session.expunge(case)
    engine.dispose()
    return case


def charge_of(live, external_id: str) -> models.Charge:
    engine = mirror(live)
    with unit_of_work(engine) as session:
        charge = session.execute(select(models.Charge).where(models.Charge.external_id == external_id)).scalar_one()
        session.expunge(charge)
    engine.dispose()
    return charge


def test_the_console_needs_a_signed_in_agent(live):
    anonymous = requests.get(f"{live.urls['console']}/", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/login"
    wrong = Agent(live.urls["console"], "alice", "not the password")
    assert wrong.login_response.status_code == 401 and "Wrong username or password" in wrong.login_response.text
    alice = Agent(live.urls["console"], "alice")
    assert alice.login_response.status_code == 200 and "Signed in as" in alice.login_response.text
    policy = alice.page("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy  # its own script only
    alice.post("/logout")
    assert "Sign in" in alice.page("/").text  # the session is gone server-side, not just the cookie


def test_a_form_without_the_csrf_token_changes_nothing(live):
    case = open_r2_case(live, "oz@example.com", "console-oz-csrf")
    alice = Agent(live.urls["console"], "alice")
    forged = alice.post(f"/cases/{case.id}/decide", csrf="forged", verdict="approve", note="ok")
    assert forged.status_code == 403
    assert "open" in alice.page(f"/cases/{case.id}").text


def test_an_r2_conversation_becomes_a_case_an_agent_approves_and_the_customer_hears(live):
    case = open_r2_case(live, "nia@example.com", "console-nia")
    alice = Agent(live.urls["console"], "alice")
    queue = alice.page("/?rule=R2").text
    assert f"#{case.id}" in queue and "nia@example.com" in queue
    page = alice.page(f"/cases/{case.id}").text
    assert "I cancelled but you charged me anyway" in page and "ch_nia_1" in page and "Fee (5 %)" in page
    assert alice.post(f"/cases/{case.id}/claim").status_code == 200
    done = alice.post(f"/cases/{case.id}/decide", verdict="approve", note="Thanks for telling us.")
    assert "Approved." in done.text, done.text[:500]
    charge = charge_of(live, "ch_nia_1")
    refunds = stripe_refunds(live, charge.stripe_id)
    assert [r.amount for r in refunds] == [case.proposed_amount] and charge.refunded == case.proposed_amount
    assert 0 < case.proposed_amount < 4900  # prorated, less the fee
    transcript = live_transcript(live, "console-nia")
    told = f"${case.proposed_amount / 100:,.2f}"  # the amount refunded, never the processor's id
    assert any(told in line and "Thanks for telling us." in line for line in transcript), transcript
    assert not any(refunds[0].id in line for line in transcript), transcript


def live_transcript(live, conversation_id: str) -> list[str]:
    rasa = RasaConversations(live.urls["rasa"], live.env["RASA_AUTH_TOKEN"])
    return [line["text"] for line in rasa.transcript(conversation_id)]


def test_two_agents_approving_at_the_same_moment_pay_once(live):
    case = open_r2_case(live, "oz@example.com", "console-oz")
    agents = [Agent(live.urls["console"], name) for name in ("alice", "bob")]
    tokens = [agent.csrf() for agent in agents]

    def approve(index):
        return agents[index].post(f"/cases/{case.id}/decide", csrf=tokens[index], verdict="approve",
                                  note="Approved.").status_code
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(approve, [0, 1]))
    assert statuses == [200, 409]  # one approval page, one "case #N is approved by ..."
    assert len(stripe_refunds(live, charge_of(live, "ch_oz_1").stripe_id)) == 1


def test_a_person_joins_the_conversation_the_bot_pauses_and_comes_back(live):
    alice = Agent(live.urls["console"], "alice")
    alice.post("/availability", available="yes")
    assert "available for live chats" in alice.page("/").text
    asked = texts(say(live, "handoff-visitor", "I'd like to talk to a real person please", None))
    assert "join this chat" in asked, asked
    engine = mirror(live)
    with unit_of_work(engine) as session:
        case_id = session.execute(select(models.ReviewCase.id).where(
            models.ReviewCase.conversation_id == "handoff-visitor")).scalar_one()
    engine.dispose()

    joined = alice.post(f"/cases/{case_id}/chat/join")
    assert "the assistant is paused" in joined.text
    assert say(live, "handoff-visitor", "hello? what is the free trial?", None) == []  # a person answers now
    alice.post(f"/cases/{case_id}/chat/message", text="Hi! The trial is 12 days; I'm here if you need more.")
    transcript = live_transcript(live, "handoff-visitor")
    assert "hello? what is the free trial?" in transcript
    assert "Hi! The trial is 12 days; I'm here if you need more." in transcript
    assert "hello? what is the free trial?" in alice.page(f"/cases/{case_id}").text

    goes_quiet(live, "handoff-visitor")  # a new session for their next message, which would clear the pause
    assert say(live, "handoff-visitor", "sorry, back now: still there?", None) == []  # the person still answers
    rasa = RasaConversations(live.urls["rasa"], live.env["RASA_AUTH_TOKEN"])
    kinds = [e["event"] for e in rasa._request("GET", "handoff-visitor", "tracker", None)["events"]]
    new_session = kinds[max(i for i, kind in enumerate(kinds) if kind == "session_started"):]
    assert kinds.count("session_started") == 2 and "pause" in new_session, kinds
    assert "sorry, back now: still there?" in alice.page(f"/cases/{case_id}").text

    back = alice.post(f"/cases/{case_id}/chat/handback", note="Answered the trial question.")
    assert "Handed back" in back.text
    answered = texts(say(live, "handoff-visitor", "how long is the free trial?", None))
    assert "12-day trial" in answered, answered


def test_the_console_serves_metrics_from_the_database_to_this_machine(live):
    import urllib.request
    with urllib.request.urlopen(f"{live.urls['console']}/metrics", timeout=10) as response:
        body = response.read().decode()
    assert "grouptrack_decisions_total" in body and "grouptrack_cases" in body
