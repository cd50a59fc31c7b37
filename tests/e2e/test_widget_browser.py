"""The help widget on its demo page in headless Chromium: a refund conversation with a
reload in the middle, a message with HTML in it, and a phone-sized screen. Screenshots
go to var/screenshots/."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_console import charge_of
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.e2e_stack import stripe_refunds

pytestmark = pytest.mark.e2e
INJECTION = 'is this <b>bold</b>? <img src=x onerror="document.title=\'pwned\'">'


def messages(driver) -> list[str]:
    return [m.text for m in driver.find_elements(By.CSS_SELECTOR, "#gt-widget .gt-msg")]


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
    offer = messages(browser)
    assert "cancelled now" in offer[-1] or "cancel" in offer[-1].lower(), offer
    titles = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".gt-reply")]
    assert titles == ["Yes, cancel and refund", "No, keep my subscription"], titles
    screenshot(browser, "widget-01-offer")

    browser.refresh()  # the conversation, and the open panel, come back
    WebDriverWait(browser, 20).until(lambda d: len(messages(d)) == len(offer))
    assert messages(browser) == offer
    screenshot(browser, "widget-02-after-reload")

    browser.find_element(By.XPATH, "//button[@class='gt-reply' and text()='Yes, cancel and refund']").click()
    wait_for_reply(browser, len(offer) + 2)
    done = "\n".join(messages(browser)[len(offer):])
    assert messages(browser)[len(offer)].endswith("\nYes, cancel and refund")  # the button's words, not "/affirm"
    refunds = stripe_refunds(live, charge_of(live, "ch_rae_1").stripe_id)
    assert len(refunds) == 1 and refunds[0].id in done, done
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
    browser.set_window_size(390, 844)
    browser.get(f"{live.urls['widget']}/demo")
    launcher = browser.find_element(By.CSS_SELECTOR, ".gt-launcher")
    launcher.send_keys(Keys.ENTER)  # a button: Enter opens it
    WebDriverWait(browser, 10).until(expected_conditions.visibility_of_element_located((By.ID, "gt-panel")))
    panel = browser.find_element(By.ID, "gt-panel").size
    viewport = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    assert [panel["width"], panel["height"]] == viewport  # the whole screen
    assert browser.switch_to.active_element.get_attribute("id") == "gt-input"
    write(browser, "how long is the free trial?")
    wait_for_reply(browser, 2)
    assert "12-day trial" in messages(browser)[-1]
    screenshot(browser, "widget-05-phone")
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert browser.find_element(By.CSS_SELECTOR, ".gt-launcher").is_displayed()


def test_when_the_assistant_cannot_be_reached_the_customer_is_told_and_keeps_their_words(live, browser):  # noqa: F811
    browser.get(f"{live.urls['widget']}/demo")
    browser.find_element(By.CSS_SELECTOR, ".gt-launcher").click()
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/messages*"]})  # the network drops
    write(browser, "is anyone there?")
    status = browser.find_element(By.CSS_SELECTOR, ".gt-status")
    WebDriverWait(browser, 20).until(lambda d: status.text)
    assert status.text.startswith("The assistant can't be reached right now"), status.text
    assert browser.find_element(By.ID, "gt-input").get_attribute("value") == "is anyone there?"
    screenshot(browser, "widget-06-unreachable")
