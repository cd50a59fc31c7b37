"""The widget's demo page as `make run` serves it (the demo seed), in headless Chromium: every
demo customer listed with what they show and a question to try, each of them signed in by
their link, and the page naming the button the widget really shows. Screenshots go to
var/screenshots/demo-*.png."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from bot.ops.processes import Stack, free_port
from bot.ops.runner import start_widget
from bot.ops.seed import parse_seed
from tests.conftest import DEMO_NOW, DEMO_SEED
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
DEMO = parse_seed(DEMO_SEED.read_text(), now=DEMO_NOW)


@pytest.fixture(scope="module")
def demo_widget(live, tmp_path_factory):
    """The widget server `bot run` starts, on the live stack's Rasa, with the demo seed."""
    stack = Stack(env=dict(live.env), logs=tmp_path_factory.mktemp("demo-widget"))
    stack.urls["rasa"] = live.urls["rasa"]
    try:
        yield start_widget(stack, free_port(), demo_seed=str(DEMO_SEED))
    finally:
        stack.stop()


def test_the_demo_page_lists_every_demo_customer_and_what_to_try(demo_widget, browser):  # noqa: F811
    browser.get(f"{demo_widget}/demo?customer=dan@example.com")
    listed = browser.find_elements(By.CSS_SELECTOR, ".demo-customers li")
    assert len(DEMO) == 10 and len(listed) == 1 + len(DEMO)  # a visitor, then the seed's customers
    for item, customer in zip(listed[1:], DEMO):
        assert customer.account.email in item.text and customer.demo.shows in item.text, item.text
        assert customer.demo.ask in item.find_element(By.TAG_NAME, "q").text
    assert browser.find_element(By.CSS_SELECTOR, "li[aria-current=page]").text.startswith("Dan Weiss")
    assert "signed in to the product as dan@example.com" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "demo-01-dan-signed-in")


def test_every_demo_customer_s_link_signs_them_in(demo_widget, browser):  # noqa: F811
    browser.get(f"{demo_widget}/demo")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".demo-customers li a")]
    for link, customer in zip(links[1:], DEMO):
        browser.get(link)
        assert f"signed in to the product as {customer.account.email}" in browser.find_element(By.TAG_NAME, "main").text
        assert browser.find_element(By.CSS_SELECTOR, "#gt-widget") is not None


def test_the_page_names_the_button_the_widget_shows(demo_widget, browser):  # noqa: F811
    browser.get(f"{demo_widget}/demo")
    named = browser.find_element(By.XPATH, "//main/p[starts-with(normalize-space(), 'Open')]/strong").text
    launcher = browser.find_element(By.CSS_SELECTOR, ".gt-launcher")
    assert named == launcher.text == "GroupTrack CRM help"
    launcher.click()
    assert browser.find_element(By.ID, "gt-input").is_displayed()
    screenshot(browser, "demo-02-visitor-opened-the-widget")
