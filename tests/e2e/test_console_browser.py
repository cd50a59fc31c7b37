"""The console in headless Chromium: sign in, claim, approve, adjust, deny, with
screenshots in var/screenshots/ and a customer's HTML shown as text, never run."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_console import charge_of, open_r2_case
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.e2e_stack import AGENT_PASSWORD, say, stripe_refunds

pytestmark = pytest.mark.e2e
DECIDED = {"approve": "approved", "adjust": "adjusted", "deny": "denied"}
INJECTION = "I cancelled late, refund please <img src=x onerror=alert(1)><script>alert('pwned')</script>"


def sign_in(driver, console: str) -> None:
    driver.get(f"{console}/")
    assert driver.current_url.endswith("/login")
    driver.find_element(By.ID, "username").send_keys("alice")
    driver.find_element(By.ID, "password").send_keys(AGENT_PASSWORD)
    screenshot(driver, "console-01-sign-in")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(expected_conditions.url_to_be(f"{console}/"))
    assert "Signed in as" in driver.page_source


def decide(driver, console: str, case_id: int, verdict: str, note: str, amount: str | None = None) -> str:
    driver.get(f"{console}/cases/{case_id}")
    driver.find_element(By.XPATH, "//button[text()='Claim this case']").click()
    WebDriverWait(driver, 10).until(expected_conditions.url_contains("done=claimed"))
    assert "You claimed this case." in driver.page_source
    driver.find_element(By.ID, "note").send_keys(note)
    if amount is not None:
        field = driver.find_element(By.ID, "amount")
        field.clear()
        field.send_keys(amount)
    driver.find_element(By.CSS_SELECTOR, f"button[name=verdict][value={verdict}]").click()
    WebDriverWait(driver, 30).until(expected_conditions.url_contains(f"done={DECIDED[verdict]}"))
    return driver.find_element(By.ID, "case-status").text


def test_an_agent_works_three_cases_in_the_browser(live, browser):  # noqa: F811
    console = live.urls["console"]
    approve = open_r2_case(live, "kim@example.com", "browser-kim")
    adjust = open_r2_case(live, "lee@example.com", "browser-lee")
    say(live, "browser-mo", INJECTION, None)  # anonymous: asked to identify, nothing opened
    deny = open_r2_case(live, "mo@example.com", "browser-mo-signed-in")
    sign_in(browser, console)
    screenshot(browser, "console-02-queue")
    assert all(f"#{case.id}" in browser.page_source for case in (approve, adjust, deny))

    assert decide(browser, console, approve.id, "approve", "Thanks for letting us know.") == "approved"
    screenshot(browser, "console-03-approved")
    assert decide(browser, console, adjust.id, "adjust", "A goodwill amount.", amount="10.00") == "adjusted"
    screenshot(browser, "console-04-adjusted")
    assert decide(browser, console, deny.id, "deny", "The period was used in full.") == "denied"
    screenshot(browser, "console-05-denied")

    assert [r.amount for r in stripe_refunds(live, charge_of(live, "ch_kim_1").stripe_id)] == [approve.proposed_amount]
    assert [r.amount for r in stripe_refunds(live, charge_of(live, "ch_lee_1").stripe_id)] == [1000]
    assert stripe_refunds(live, charge_of(live, "ch_mo_1").stripe_id) == []

    browser.set_window_size(390, 844)  # a phone
    browser.get(f"{console}/")
    screenshot(browser, "console-06-queue-phone")


def test_a_customers_html_is_shown_as_text(live, browser):  # noqa: F811
    from bot.app.identity import issue_customer_token
    from tests.support.e2e_stack import SECRET, texts
    reply = texts(say(live, "browser-injection", INJECTION, issue_customer_token("mo@example.com", secret=SECRET)))
    assert "case #" in reply, reply
    case_id = int(reply.split("case #")[1].split()[0].rstrip(".;)"))
    sign_in(browser, live.urls["console"])
    browser.get(f"{live.urls['console']}/cases/{case_id}")
    shown = browser.find_element(By.ID, "h-said").find_element(By.XPATH, "following-sibling::p").text
    assert "<script>alert('pwned')</script>" in shown and "<img src=x" in shown
    assert browser.find_elements(By.CSS_SELECTOR, "main script, main img") == []
    screenshot(browser, "console-07-html-as-text")
