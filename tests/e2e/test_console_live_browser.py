"""The live console in headless Chromium: a customer waiting live appears in the queue by
itself with a running timer and a ring, the composer beside the transcript, a customer's
reply arriving without a reload, canned replies, internal notes, assignment, search,
keyboard shortcuts, evidence in people's terms, and 375 px layouts. Screenshots go to
var/screenshots/."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.db import models
from tests.e2e.test_console import live_transcript, open_r2_case
from tests.e2e.test_console_browser import sign_in
from tests.e2e.test_widget_live_browser import query
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.e2e_stack import SECRET, say, texts

pytestmark = pytest.mark.e2e


def fits(driver) -> bool:
    """Nothing wider than the window: no sideways scrolling on a phone."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_a_customer_waiting_live_appears_in_the_queue_by_itself(live, browser):  # noqa: F811
    console = live.urls["console"]
    sign_in(browser, console)
    take = browser.find_elements(By.XPATH, "//button[text()='Take live chats for an hour']")
    if take:
        take[0].click()
    WebDriverWait(browser, 10).until(lambda d: "available for live chats" in d.page_source)
    assert "script-src 'self'" not in browser.page_source  # the policy is a header, the script a file
    alerts = browser.find_element(By.TAG_NAME, "body").get_attribute("data-alerts")
    # Notifications as if the agent had allowed them (headless Chromium shows none): record them.
    browser.execute_script("window.Notification = function (title, options) {"
                           " (window.notified = window.notified || []).push([title, options.body]); };"
                           "window.Notification.permission = 'granted';")

    asked = texts(say(live, "console-live-waiting", "I'd like to talk to a real person please", None))
    assert "join this chat" in asked, asked
    case_id = query(live, select(models.ReviewCase.id).where(
        models.ReviewCase.conversation_id == "console-live-waiting"))
    row = WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, f"tr[data-case='{case_id}'][data-waiting-live]")))  # no reload
    timer = f"tr[data-case='{case_id}'] .timer"  # found afresh each time: a queue update redraws the row
    first = row.find_element(By.CSS_SELECTOR, ".timer").text
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, timer).text != first)  # the wait counts up
    assert browser.find_element(By.CSS_SELECTOR, f"tr[data-case='{case_id}'] .badge.live").text.startswith(
        "Waiting live")
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-alerts") != alerts  # it rang
    assert ["A customer is waiting for a person",
            f"Case #{case_id}"] in browser.execute_script("return window.notified")
    screenshot(browser, "console-08-waiting-live")

    browser.set_window_size(375, 812)
    browser.refresh()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-case='{case_id}']"))
    assert fits(browser)
    screenshot(browser, "console-09-queue-375")


def test_an_agent_chats_live_with_canned_replies_notes_and_shortcuts(live, browser):  # noqa: F811
    console = live.urls["console"]
    case = open_r2_case(live, "yan@example.com", "console-live-yan")
    sign_in(browser, console)
    browser.get(f"{console}/replies")
    browser.find_element(By.ID, "title").send_keys("Greeting")
    browser.find_element(By.ID, "body").send_keys("Hi {first_name}, this is {agent} about case {case_number}.")
    browser.find_element(By.XPATH, "//button[text()='Add reply']").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=added"))

    browser.get(f"{console}/cases/{case.id}")
    facts = browser.find_element(By.CSS_SELECTOR, "table.facts").get_attribute("textContent")
    assert "% of the period" in facts and "/" not in facts and "T09:00" not in facts, facts
    browser.find_element(By.XPATH, "//button[text()='Join the conversation']").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=join"))
    transcript = browser.find_element(By.ID, "transcript").rect
    composer = browser.find_element(By.ID, "live-chat").rect
    assert composer["x"] >= transcript["x"] + transcript["width"] and abs(composer["y"] - transcript["y"]) < 80

    token = issue_customer_token("yan@example.com", secret=SECRET)
    assert say(live, "console-live-yan", "Two things:\nthe refund, and my invoice address", token) == []
    WebDriverWait(browser, 20).until(lambda d: "my invoice address" in d.find_element(By.ID, "transcript").text)
    line = browser.find_elements(By.CSS_SELECTOR, "#transcript .line.customer .text")[-1]
    assert line.text == "Two things:\nthe refund, and my invoice address"  # line breaks kept
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-alerts")  # rang for the reply
    times = browser.find_elements(By.CSS_SELECTOR, "#transcript time")
    assert times and all(t.text.count(":") == 1 for t in times)
    assert "alice" in [w.text for w in browser.find_elements(By.CSS_SELECTOR, "#transcript .line.agent .who")]

    Select(browser.find_element(By.ID, "canned")).select_by_visible_text("Greeting")
    box = browser.find_element(By.ID, "text")
    assert box.get_attribute("value") == f"Hi Yan, this is alice about case #{case.id}."
    WebDriverWait(browser, 10).until(lambda _: query(live, select(models.ReviewCase.agent_typing_at).where(
        models.ReviewCase.id == case.id)) is not None)  # the customer's widget would say "alice is typing"
    screenshot(browser, "console-10-live-chat")
    box.send_keys(Keys.CONTROL, Keys.ENTER)  # Ctrl+Enter sends
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=message"))
    assert f"Hi Yan, this is alice about case #{case.id}." in live_transcript(live, "console-live-yan")

    browser.find_element(By.TAG_NAME, "body").send_keys("n")  # n: an internal note
    assert browser.switch_to.active_element.get_attribute("id") == "note-text"
    browser.switch_to.active_element.send_keys("Invoice address lives in billing settings.", Keys.CONTROL, Keys.ENTER)
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=noted"))
    assert "Invoice address lives in billing settings." in browser.find_element(By.ID, "notes-list").text
    assert not any("billing settings" in line for line in live_transcript(live, "console-live-yan"))
    browser.set_window_size(375, 812)
    assert fits(browser)
    screenshot(browser, "console-11-case-375")


def test_search_assignment_and_the_keyboard(live, browser):  # noqa: F811
    console = live.urls["console"]
    case = open_r2_case(live, "yara@example.com", "console-assign-yara")
    sign_in(browser, console)
    browser.get(f"{console}/cases/{case.id}")
    Select(browser.find_element(By.ID, "assign-to")).select_by_value("bob")
    browser.find_element(By.XPATH, "//button[text()='Assign']").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=assigned"))
    assert "Assigned to bob" in browser.find_element(By.ID, "assignment").text
    assert query(live, select(models.ReviewCase.claimed_by).where(models.ReviewCase.id == case.id)) == "bob"
    browser.find_element(By.XPATH, "//button[text()='Unassign']").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=unassigned"))
    assert query(live, select(models.ReviewCase.status).where(models.ReviewCase.id == case.id)) == "open"
    browser.find_element(By.ID, "note-text").send_keys("Customer prefers email, ask about zebra stripes.")
    browser.find_element(By.XPATH, "//button[text()='Add note']").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("done=noted"))

    browser.get(f"{console}/")
    browser.find_element(By.TAG_NAME, "body").send_keys("/")  # /: search
    assert browser.switch_to.active_element.get_attribute("id") == "q"
    for words, expected in (("yara@example.com", True), (f"#{case.id}", True), ("zebra stripes", True),
                            ("nobody-at-all@example.com", False)):
        search = browser.find_element(By.ID, "q")
        search.clear()
        search.send_keys(words, Keys.ENTER)
        # The previous search's page also has "q=" in its address: wait for this one's page to
        # replace it (its search box gone), or the rows read may be the old page's.
        WebDriverWait(browser, 10).until(expected_conditions.staleness_of(search))
        WebDriverWait(browser, 10).until(expected_conditions.url_contains(urlencode({"q": words})))
        rows = [r.get_attribute("data-case") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-case]")]
        assert (str(case.id) in rows) == expected, (words, rows)
        if words.startswith("#"):
            assert rows == [str(case.id)]
    screenshot(browser, "console-12-search")
    search = browser.find_element(By.ID, "q")
    search.clear()
    search.send_keys("zebra stripes", Keys.ENTER)
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("zebra"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")  # j: select the first case; o: open it
    body.send_keys("o")
    WebDriverWait(browser, 10).until(expected_conditions.url_contains(f"/cases/{case.id}"))
