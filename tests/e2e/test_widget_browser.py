"""The help widget on its demo page in headless Chromium: a refund conversation with a
reload in the middle, a message with HTML in it, a phone-sized screen, quick replies and
times as the customer writes them, and axe-core's accessibility check. Screenshots go to
var/screenshots/."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_console import charge_of
from tests.support.accessibility import at_both_widths
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.e2e_stack import stripe_refunds

pytestmark = pytest.mark.e2e
INJECTION = 'is this <b>bold</b>? <img src=x onerror="document.title=\'pwned\'">'


def messages(driver) -> list[str]:
    """The conversation's messages as shown (the welcome above them is not one)."""
    # Read in one script: the widget redraws as messages arrive, and an element found a moment
    # before may be gone when its text is asked for.
    return driver.execute_script("return Array.from(document.querySelectorAll('#gt-widget .gt-item .gt-text'))"
                                 ".map(function (m) { return m.innerText; })")


def quick_replies(driver) -> list[str]:
    """The quick-reply buttons shown, read in one script as `messages` reads the messages."""
    return driver.execute_script("return Array.from(document.querySelectorAll('.gt-reply'))"
                                 ".map(function (b) { return b.innerText; })")


def wait_for_reply(driver, count: int) -> None:
    WebDriverWait(driver, 60).until(lambda d: len(messages(d)) >= count and
                                    d.find_element(By.CSS_SELECTOR, ".gt-typing").get_attribute("hidden"))


def write(driver, text: str) -> None:
    box = driver.find_element(By.ID, "gt-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_a_refund_conversation_survives_a_reload(live, browser):  # noqa: F811
    browser.get(f"{live.urls['widget']}/demo?customer=rae@example.com")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    write(browser, "I cancelled a day late, can I get a refund?")
    wait_for_reply(browser, 3)
    # The decision and the offer arrive one after the other: the typing dots can hide between them
    # (CI on f495648 read the welcome's buttons there), so the offer's own buttons are waited for.
    offered = ["Yes, cancel and refund", "No, keep my subscription"]
    try:
        WebDriverWait(browser, 60).until(lambda d: quick_replies(d) == offered)
    except TimeoutException:
        pytest.fail(f"the offer's buttons never showed: {quick_replies(browser)}, after {messages(browser)}")
    offer = messages(browser)
    assert "cancelled now" in offer[-1] or "cancel" in offer[-1].lower(), offer
    screenshot(browser, "widget-01-offer")

    browser.refresh()  # the conversation, and the open panel, come back
    WebDriverWait(browser, 20).until(lambda d: len(messages(d)) == len(offer))
    assert messages(browser) == offer
    screenshot(browser, "widget-02-after-reload")

    browser.find_element(By.XPATH, "//button[@class='gt-reply' and text()='Yes, cancel and refund']").click()
    wait_for_reply(browser, len(offer) + 3)  # the button's words, the cancellation, the refund
    done = "\n".join(messages(browser)[len(offer):])
    assert messages(browser)[len(offer)] == "Yes, cancel and refund"  # the button's words, not "/affirm"
    refunds = stripe_refunds(live, charge_of(live, "ch_rae_1").stripe_id)
    assert len(refunds) == 1 and f"${refunds[0].amount / 100:,.2f}" in done and refunds[0].id not in done, done
    screenshot(browser, "widget-03-refunded")


def test_html_in_a_message_is_shown_as_text(live, browser):  # noqa: F811
    browser.get(f"{live.urls['widget']}/demo")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    write(browser, INJECTION)
    wait_for_reply(browser, 2)
    assert INJECTION in messages(browser)[0]
    assert browser.find_elements(By.CSS_SELECTOR, "#gt-widget .gt-log img, #gt-widget .gt-log b") == []
    assert browser.title != "pwned"
    screenshot(browser, "widget-04-html-as-text")


def test_the_widget_fills_a_phone_screen_and_works_from_the_keyboard(live, browser):  # noqa: F811
    browser.set_window_size(375, 812)
    browser.get(f"{live.urls['widget']}/demo")
    launcher = browser.find_element(By.CSS_SELECTOR, ".gt-launcher")
    launcher.send_keys(Keys.ENTER)  # a button: Enter opens it
    WebDriverWait(browser, 10).until(expected_conditions.visibility_of_element_located((By.ID, "gt-panel")))
    panel = browser.find_element(By.ID, "gt-panel").size
    viewport = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    assert [panel["width"], panel["height"]] == viewport  # the whole screen: 100dvh, not 100vh
    assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport[0]
    assert browser.switch_to.active_element.get_attribute("id") == "gt-input"
    write(browser, "how long is the free trial?")
    wait_for_reply(browser, 2)
    assert "12-day trial" in messages(browser)[-1]
    screenshot(browser, "widget-05-phone")
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert browser.find_element(By.CSS_SELECTOR, ".gt-launcher").is_displayed()


def test_a_new_visitor_is_welcomed_with_topics_and_sees_times_and_the_limit(live, browser):  # noqa: F811
    browser.get(f"{live.urls['widget']}/demo")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    welcome = browser.find_element(By.CSS_SELECTOR, ".gt-welcome")
    WebDriverWait(browser, 10).until(lambda d: welcome.text)
    assert "GroupTrack CRM assistant" in welcome.text and messages(browser) == []
    topics = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".gt-reply")]
    assert "Free trial" in topics and "Talk to a person" in topics, topics
    screenshot(browser, "widget-07-welcome")
    browser.find_element(By.XPATH, "//button[@class='gt-reply' and text()='Free trial']").click()
    wait_for_reply(browser, 2)
    assert messages(browser)[0] == "How long is the free trial?" and "12-day trial" in messages(browser)[1]
    times = browser.find_elements(By.CSS_SELECTOR, "#gt-widget .gt-item time")
    assert len(times) == 2 and all(t.get_attribute("datetime") for t in times)

    box = browser.find_element(By.ID, "gt-input")  # pasted text over the limit is not cut short
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                           box, "x" * 2100)
    counter = browser.find_element(By.ID, "gt-count")
    assert counter.text.startswith("100 characters over the 2,000 limit"), counter.text
    assert browser.find_element(By.CSS_SELECTOR, ".gt-form button").get_attribute("disabled")
    assert len(box.get_attribute("value")) == 2100
    screenshot(browser, "widget-08-over-the-limit")
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                           box, "y" * 1850)
    assert counter.text == "1,850 / 2,000" and not browser.find_element(
        By.CSS_SELECTOR, ".gt-form button").get_attribute("disabled")


def test_when_the_network_drops_the_message_waits_with_retry_and_the_widget_recovers(live, browser):  # noqa: F811
    browser.get(f"{live.urls['widget']}/demo")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/*"]})  # the network drops
    write(browser, "is anyone there?")
    status = browser.find_element(By.CSS_SELECTOR, ".gt-status")
    WebDriverWait(browser, 20).until(lambda d: status.text)
    assert status.text.startswith("The assistant can't be reached right now"), status.text
    failed = browser.find_element(By.CSS_SELECTOR, ".gt-failed")  # shown at once, kept with a Retry
    assert "is anyone there?" in failed.text and "Retry" in failed.text
    screenshot(browser, "widget-06-unreachable")

    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})  # back: the widget recovers by itself
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    WebDriverWait(browser, 20).until(lambda d: not d.find_element(By.CSS_SELECTOR, ".gt-status").is_displayed())
    failed.find_element(By.CSS_SELECTOR, ".gt-retry").click()
    wait_for_reply(browser, 2)
    assert messages(browser)[0] == "is anyone there?" and browser.find_elements(By.CSS_SELECTOR, ".gt-failed") == []
    screenshot(browser, "widget-09-recovered")


def a_morning_zone() -> str:
    """A time zone where it is now five o'clock in the morning, so a clock shows one hour digit."""
    offset = (5 - datetime.now(timezone.utc).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"  # the Etc/ zones count the other way


def test_plain_answers_end_with_quick_replies_times_read_naturally_and_axe_finds_nothing(live, browser):  # noqa: F811
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": a_morning_zone()})
    browser.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-US"})
    browser.get(f"{live.urls['widget']}/demo")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    write(browser, "how long is the free trial?")
    wait_for_reply(browser, 2)
    # The answer's quick replies replace the welcome's topics as it is drawn: read them once it is.
    # (A full run in CI once read the welcome's five, a moment before.)
    wanted = ["My plan", "Cancel my subscription"]
    try:
        WebDriverWait(browser, 10).until(lambda d: quick_replies(d) == wanted)
    except TimeoutException:
        pass
    assert quick_replies(browser) == wanted, quick_replies(browser)
    shown = [t.text.replace("\u202f", " ") for t in browser.find_elements(By.CSS_SELECTOR, "#gt-widget .gt-item time")]
    assert shown and all(re.fullmatch(r"[1-9]:\d\d [AP]M", t) for t in shown), shown  # "5:04 AM", not "05:04 AM"
    screenshot(browser, "widget-15-quick-replies")

    browser.find_element(By.XPATH, "//button[@class='gt-reply' and text()='My plan']").click()  # sends its intent
    wait_for_reply(browser, 4)
    assert messages(browser)[2] == "My plan" and "email address" in messages(browser)[-1]  # a visitor: who is it?
    assert at_both_widths(browser, "widget", "#gt-widget") == {1280: [], 375: []}
