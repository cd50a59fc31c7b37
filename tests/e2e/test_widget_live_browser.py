"""A person from the support team in the customer's widget, in headless Chromium: pushed to
an open widget and counted on a closed one, typing shown, joined and left notices, a
rating after the hand-back, a copy by email, an email when the customer had left, and a
decision signed by the agent who made it. Screenshots go to var/screenshots/."""
from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from bot.db import models
from bot.db.session import unit_of_work
from tests.e2e.test_widget_browser import messages, wait_for_reply, write
from tests.support.accessibility import at_both_widths, contrast
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.console_client import Agent
from tests.support.e2e_stack import mirror
from tests.support.smtp_server import plain_text

pytestmark = pytest.mark.e2e


def ask_for_a_person(live, browser, email: str) -> tuple[str, int]:  # noqa: F811
    """The customer opens the widget and asks for a person; (conversation id, case number)."""
    browser.get(f"{live.urls['widget']}/demo?customer={email}")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    write(browser, "I'd like to talk to a real person please")
    wait_for_reply(browser, 2)
    assert "join this chat" in messages(browser)[-1], messages(browser)
    conversation = browser.execute_script("return JSON.parse(localStorage.getItem('gt-widget')).id")
    return conversation, query(live, select(models.ReviewCase.id).where(
        models.ReviewCase.conversation_id == conversation))


def query(live, statement):
    engine = mirror(live)
    try:
        with unit_of_work(engine) as session:
            return session.execute(statement).scalar_one_or_none()
    finally:
        engine.dispose()


def shown(driver, selector: str) -> str:
    """The visible text under selector, read in one script: the widget redraws as events arrive."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".filter(function (e) { return e.getClientRects().length > 0; })"
        ".map(function (e) { return e.innerText; }).join(' ')", selector)


def test_a_person_answers_an_open_and_a_closed_widget_then_the_customer_rates_and_gets_a_copy(live, browser):  # noqa: F811
    alice = Agent(live.urls["console"], "alice")
    alice.post("/availability", available="yes")
    conversation, case_id = ask_for_a_person(live, browser, "wyn@example.com")

    alice.post(f"/cases/{case_id}/chat/join")  # pushed to the open widget: no reload, no message from the customer
    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: "alice joined the chat" in shown(d, ".gt-notice"))
    agent_line = browser.find_elements(By.CSS_SELECTOR, ".gt-item-agent")[-1]
    assert agent_line.find_element(By.CSS_SELECTOR, ".gt-avatar").text == "A"
    assert agent_line.find_element(By.CSS_SELECTOR, ".gt-name").text == "alice"
    assert browser.find_element(By.CSS_SELECTOR, ".gt-who").text == "alice from the support team"

    assert alice.post(f"/cases/{case_id}/chat/typing").status_code == 204
    wait.until(lambda d: shown(d, ".gt-typing") == "alice is typing\u2026")  # a person, not the assistant
    screenshot(browser, "widget-10-agent-typing")
    alice.post(f"/cases/{case_id}/chat/message", text="Hello Wyn,\nI can see your account.")
    wait.until(lambda d: "Hello Wyn,\nI can see your account." in messages(d))
    wait.until(lambda d: not shown(d, ".gt-typing"))
    screenshot(browser, "widget-11-agent-answered")

    write(browser, "Thanks, one moment")  # while a person chats, the assistant is not "typing"
    assert shown(browser, ".gt-typing") == ""
    wait.until(lambda d: "Thanks, one moment" in messages(d) and not d.find_elements(By.CSS_SELECTOR, ".gt-pending"))

    browser.find_element(By.CSS_SELECTOR, ".gt-close").click()  # closed, still listening
    alice.post(f"/cases/{case_id}/chat/message", text="I've fixed the invoice for you.")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".gt-badge").text == "1")
    wait.until(lambda d: "New message" in d.title)
    screenshot(browser, "widget-12-closed-unread")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    assert not browser.find_element(By.CSS_SELECTOR, ".gt-badge").is_displayed()
    assert "I've fixed the invoice for you." in messages(browser)
    wait.until(lambda d: "New message" not in d.title)

    alice.post(f"/cases/{case_id}/chat/handback", note="Fixed the invoice.")
    wait.until(lambda d: "alice left the chat" in shown(d, ".gt-notice"))
    assert browser.find_element(By.CSS_SELECTOR, ".gt-who").text == "Assistant"
    rating = browser.find_element(By.CSS_SELECTOR, ".gt-rating")
    wait.until(lambda d: rating.is_displayed())
    rating.find_element(By.CSS_SELECTOR, ".gt-star[data-score='5']").click()
    rating.find_element(By.CSS_SELECTOR, ".gt-comment").send_keys("Quick and kind.")
    screenshot(browser, "widget-13-rating")
    rating.find_element(By.CSS_SELECTOR, ".gt-rate").click()
    wait.until(lambda d: "Thank you for your rating." in shown(d, ".gt-rating"))
    stored = query(live, select(models.Rating).where(models.Rating.conversation_id == conversation))
    assert (stored.score, stored.case_id, stored.comment, stored.subject) == (5, case_id, "Quick and kind.",
                                                                              f"case:{case_id}")

    browser.find_element(By.CSS_SELECTOR, ".gt-copy").click()
    wait.until(lambda d: "A copy of this conversation is on its way to w\u2026@example.com." in shown(d, ".gt-notice"))
    screenshot(browser, "widget-14-copy-sent")
    mail = live.smtp.to("wyn@example.com")[-1]
    assert mail["Subject"] == "Your conversation with GroupTrack CRM support"
    text = plain_text(mail).replace("\r\n", "\n")
    assert "alice" in text and "Hello Wyn,\nI can see your account." in text and "You" in text


def test_a_customer_who_left_gets_the_persons_answer_by_email_once(live, browser):  # noqa: F811
    alice = Agent(live.urls["console"], "alice")
    alice.post("/availability", available="yes")
    conversation, case_id = ask_for_a_person(live, browser, "xia@example.com")
    alice.post(f"/cases/{case_id}/chat/join")
    WebDriverWait(browser, 20).until(lambda d: "alice joined the chat" in shown(d, ".gt-notice"))
    assert live.smtp.to("xia@example.com") == []  # present: nothing mailed

    browser.get("about:blank")  # the customer leaves the page
    WebDriverWait(browser, 20).until(lambda _: query(live, select(models.Conversation.widget_left_at).where(
        models.Conversation.conversation_id == conversation)) is not None)
    alice.post(f"/cases/{case_id}/chat/message", text="Found it: your export is ready.")
    alice.post(f"/cases/{case_id}/chat/message", text="Anything else?")
    mails = live.smtp.to("xia@example.com")
    assert len(mails) == 1, [m["Subject"] for m in mails]  # one mail, not one per message
    assert mails[0]["Subject"] == "alice replied to you in the GroupTrack CRM chat"
    assert "Found it: your export is ready." in plain_text(mails[0])


def test_a_decision_reaches_the_customer_signed_by_the_agent_who_made_it(live, browser):  # noqa: F811
    """Not "Our support team" with an "OS" avatar: the agent, as in a live chat; the agent's
    avatar and the rating that follows pass axe-core's checks."""
    bob = Agent(live.urls["console"], "bob")
    bob.post("/availability", available="yes")
    _, case_id = ask_for_a_person(live, browser, "rae@example.com")
    bob.post(f"/cases/{case_id}/decide", verdict="close", note="Your invoice address is updated.")
    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: any(f"About case #{case_id}" in m for m in messages(d)))
    decision = browser.find_elements(By.CSS_SELECTOR, ".gt-item-agent")[-1]
    assert decision.find_element(By.CSS_SELECTOR, ".gt-name").text == "bob"
    avatar = decision.find_element(By.CSS_SELECTOR, ".gt-avatar")
    assert avatar.text == "B" and contrast(browser, avatar) >= 4.5  # hidden from axe (aria-hidden), not from eyes
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".gt-rating").is_displayed())
    screenshot(browser, "widget-16-decision-signed")
    assert at_both_widths(browser, "widget-decided", "#gt-widget") == {1280: [], 375: []}
