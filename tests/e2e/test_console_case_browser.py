"""The console as an agent meets it first, in headless Chromium: a sign-in card, a queue whose
ticket has no "0.00 USD", a case page with the decision at the top and every time in the
agent's own zone (UTC on hover), a live transcript that follows the newest message unless
the agent scrolled up, a one-time code the customer typed shown as dots, and axe-core's
accessibility check of the queue and the case page at 1280 and 375 px. Screenshots go to
var/screenshots/."""
from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from tests.e2e.test_console import open_r2_case
from tests.e2e.test_console_browser import sign_in
from tests.e2e.test_widget_live_browser import query
from tests.support.accessibility import at_both_widths
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.console_client import Agent
from tests.support.e2e_stack import SECRET, latest_code, say, texts

pytestmark = pytest.mark.e2e


def write(live, sender: str, text: str) -> str:
    """A visitor's message, a second after the last, as a person types: the REST channel's
    per-address limit is one budget for every end-to-end test (all come from 127.0.0.1)."""
    time.sleep(1)
    return texts(say(live, sender, text, None))


def in_the_agents_zone(driver, zone: str) -> None:
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})
    driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-US"})


def test_the_sign_in_page_is_a_card_not_the_whole_page(live, browser):  # noqa: F811
    browser.get(f"{live.urls['console']}/login")
    card = browser.find_element(By.CSS_SELECTOR, "main .card").rect
    assert card["width"] <= 400 and card["x"] > 400, card  # centred and narrow: the stylesheet, not an inline style
    screenshot(browser, "console-15-sign-in-card")


def test_a_ticket_has_no_amount_and_the_queue_passes_axe(live, browser):  # noqa: F811
    reply = texts(say(live, "console-ticket-cy", "the post scheduler keeps failing",
                      issue_customer_token("cy@example.com", secret=SECRET)))
    ticket = int(re.search(r"ticket #(\d+)", reply).group(1))
    sign_in(browser, live.urls["console"])
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-case='{ticket}']")
    assert row.find_element(By.CSS_SELECTOR, "td[data-label='Proposal']").text == "–"
    assert "0.00" not in row.text
    assert at_both_widths(browser, "queue") == {1280: [], 375: []}


def test_the_decision_comes_first_and_times_are_the_agents(live, browser):  # noqa: F811
    case = open_r2_case(live, "abe@example.com", "console-case-abe")
    in_the_agents_zone(browser, "Asia/Tokyo")  # UTC+9 all year
    sign_in(browser, live.urls["console"])
    browser.get(f"{live.urls['console']}/cases/{case.id}")
    decide = browser.find_element(By.ID, "h-decide").rect
    assert decide["y"] < 400, decide  # beside the proposal, not a scroll of 1,100 px away
    proposal = browser.find_element(By.ID, "h-proposal").find_element(By.XPATH, "..").text
    assert "refund proposed to the customer" in proposal.lower() and "most you can grant" in proposal.lower()
    assert "what is left of the payment" in proposal  # why the ceiling is more than the customer was told

    opened = browser.find_element(By.XPATH, "//p[starts-with(normalize-space(), 'Opened')]/time")
    utc = case.created_at
    tokyo = utc + timedelta(hours=9)
    assert opened.get_attribute("title") == f"{utc:%d %b %Y %H:%M} UTC"  # UTC on hover
    assert f"{tokyo.hour % 12 or 12}:{tokyo:%M}" in opened.text and "GMT+9" in opened.text, opened.text
    facts = browser.find_element(By.CSS_SELECTOR, "table.facts").get_attribute("textContent")
    assert "UTC" not in facts and "GMT+9" in facts, facts  # the rules' dates too
    screenshot(browser, "console-16-case-decision-first")
    assert at_both_widths(browser, "case") == {1280: [], 375: []}


def test_a_code_is_hidden_and_the_transcript_follows_the_newest_message(live, browser):  # noqa: F811
    sender = f"console-code-{uuid.uuid4().hex[:8]}"
    alice = Agent(live.urls["console"], "alice")
    alice.post("/availability", available="yes")  # so a person can join the chat now
    write(live, sender, "what plan am I on?")
    write(live, sender, "cy@example.com")
    code = latest_code(live, "cy@example.com")
    assert "that's you confirmed" in write(live, sender, code)
    assert "join this chat" in write(live, sender, "I'd like to talk to a real person please")
    case_id = query(live, select(models.ReviewCase.id).where(models.ReviewCase.conversation_id == sender))
    alice.post(f"/cases/{case_id}/chat/join")  # the assistant pauses: what the customer writes is just logged
    for n in range(4):
        write(live, sender, f"Some more detail, part {n + 1}")

    browser.set_window_size(1280, 700)  # a transcript taller than its box
    sign_in(browser, live.urls["console"])
    browser.get(f"{live.urls['console']}/cases/{case_id}")
    transcript = browser.find_element(By.ID, "transcript")
    assert code not in transcript.text and "\u2022" * 6 in transcript.text
    assert code not in browser.page_source
    position = "var t = document.getElementById('transcript'); return [t.scrollTop, t.scrollHeight - t.clientHeight];"
    top, bottom = browser.execute_script(position)
    assert bottom > 0 and top >= bottom - 2, (top, bottom)  # opened on the newest message

    write(live, sender, "Are you still there?")
    WebDriverWait(browser, 20).until(lambda d: "Are you still there?" in d.find_element(By.ID, "transcript").text)
    top, bottom = browser.execute_script(position)
    assert top >= bottom - 2, (top, bottom)  # followed it
    browser.execute_script("document.getElementById('chat').scrollIntoView()")
    screenshot(browser, "console-17-transcript-follows")

    browser.execute_script("document.getElementById('transcript').scrollTop = 0")  # the agent reads back
    write(live, sender, "Hello?")
    WebDriverWait(browser, 20).until(lambda d: "Hello?" in d.find_element(By.ID, "transcript").text)
    assert browser.execute_script(position)[0] == 0  # left where the agent was reading
    browser.execute_script("var t = document.getElementById('transcript'); t.scrollIntoView();"
                           "t.scrollTop = Array.from(t.children).find(function (l) {"
                           " return l.textContent.indexOf('\u2022') >= 0; }).offsetTop - t.offsetTop")
    screenshot(browser, "console-20-code-hidden")
