"""botfront's rasa-webchat 1.x, the socket.io widget many Rasa sites embed, from npm
(tests/browser/webchat, pinned by its package-lock.json) on a page of a site listed in
RASA_CORS_ORIGINS, in headless Chromium against the real servers: a visitor, a signed-in
customer with buttons, a reload, a refusal it can show; and a page of a site that is not
listed, talking socket.io over the browser's own WebSocket, refused. Screenshots go to
var/screenshots/webchat-*.png."""
from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import socketio
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot.app.identity import issue_customer_token
from bot.web.limits import MAX_MESSAGE
from tests.conftest import ROOT
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.e2e_stack import SECRET

pytestmark = pytest.mark.e2e
SITE = ROOT / "tests" / "browser" / "webchat"
WEBCHAT = SITE / "node_modules" / "rasa-webchat" / "lib" / "index.js"


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(live):
    """The site's pages on the port whose origin the stack lists in RASA_CORS_ORIGINS. The same
    server is another origin as http://localhost:PORT, one the stack does not list."""
    if not WEBCHAT.exists():
        message = "rasa-webchat is not installed: `make test` installs it (npm ci in tests/browser/webchat)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    server = ThreadingHTTPServer(("127.0.0.1", live.site_port), functools.partial(QuietFiles, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{live.site_port}", f"http://localhost:{live.site_port}"
    server.shutdown()
    server.server_close()


def shown(driver) -> list[tuple[str, str]]:
    """The conversation as the widget shows it: (who, text), in order."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.rw-group-message .rw-message-text')).map(function (m) {"
        "  return [m.closest('.rw-from-client') ? 'customer' : 'assistant', m.innerText.trim()]; })")


def ask(driver, text: str, answered=lambda reply: True) -> str:
    """Type a message; return the first reply after it that `answered` accepts."""
    before = len(shown(driver))
    driver.find_element(By.CSS_SELECTOR, ".rw-new-message").send_keys(text + "\n")
    return wait_for_reply(driver, before + 1, answered)


def wait_for_reply(driver, after: int, answered=lambda reply: True) -> str:
    def reply(d):
        replies = [text for who, text in shown(d)[after:] if who == "assistant" and answered(text)]
        return replies[0] if replies else False
    return WebDriverWait(driver, 60).until(reply)


def open_site(driver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".rw-launcher"))
    driver.find_element(By.CSS_SELECTOR, ".rw-launcher").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".rw-new-message"))


def test_a_visitor_asks_reloads_and_sees_a_refusal(live, site, browser):  # noqa: F811
    listed, _ = site
    open_site(browser, f"{listed}/site.html?rasa={live.urls['rasa']}")
    # Opening the panel sent an empty user_uttered (no initPayload): ignored, nothing to show.
    assert "trial" in ask(browser, "how long is the free trial?").lower()
    assert [who for who, _ in shown(browser)] == ["customer", "assistant"], shown(browser)
    screenshot(browser, "webchat-01-visitor")

    browser.refresh()  # the widget keeps the conversation, and its session, in the page's storage
    WebDriverWait(browser, 30).until(lambda d: len(shown(d)) == 2 or d.find_elements(By.CSS_SELECTOR, ".rw-launcher"))
    if not browser.find_elements(By.CSS_SELECTOR, ".rw-new-message"):
        browser.find_element(By.CSS_SELECTOR, ".rw-launcher").click()
    WebDriverWait(browser, 30).until(lambda d: len(shown(d)) == 2)
    assert "fee" in ask(browser, "what is the refund fee?").lower()

    refusal = ask(browser, "x" * (MAX_MESSAGE + 1), lambda text: text.startswith("Not sent"))
    assert refusal == f"Not sent: message is {MAX_MESSAGE + 1} characters; the limit is {MAX_MESSAGE}."
    screenshot(browser, "webchat-02-visitor-after-reload-and-refusal")


def test_a_signed_in_customer_is_known_and_uses_the_buttons(live, site, browser):  # noqa: F811
    listed, _ = site
    token = issue_customer_token("inez@example.com", secret=SECRET)
    open_site(browser, f"{listed}/site.html?rasa={live.urls['rasa']}&token={token}")
    plan = ask(browser, "what plan am I on?")
    assert "Pro monthly" in plan and "$49.00" in plan, plan  # her account, so her token went through
    ask(browser, "I want to change my plan", lambda text: "Which plan" in text)
    choices = browser.find_elements(By.CSS_SELECTOR, ".rw-replies .rw-reply")
    assert [c.text for c in choices][:1] == ["Starter monthly, $19.00 a month"], [c.text for c in choices]
    screenshot(browser, "webchat-03-signed-in-plans")

    before = len(shown(browser))
    choices[0].click()
    offer = wait_for_reply(browser, before, lambda text: "Shall I switch you?" in text)
    assert "Starter monthly" in offer
    keep = WebDriverWait(browser, 30).until(lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".rw-reply")
                                                       if b.text == "No, keep my plan"])
    before = len(shown(browser))
    keep[0].click()
    assert "stays as it is" in wait_for_reply(browser, before)
    screenshot(browser, "webchat-04-signed-in-declined-the-switch")


def frames_seen(driver, url: str, last: str) -> list[str]:
    driver.get(url)
    return WebDriverWait(driver, 60).until(
        lambda d: (lambda frames: frames if frames and frames[-1].startswith(last) else False)(
            d.execute_script("return window.frames_seen")))


def test_a_page_from_a_site_not_listed_cannot_talk_over_a_websocket(live, site, browser):  # noqa: F811
    listed, unlisted = site
    frames = frames_seen(browser, f"{unlisted}/raw-socket.html?rasa={live.urls['rasa']}", "44")
    assert frames[-1] == '44{"message":"this site may not use the assistant"}'
    screenshot(browser, "webchat-05-unlisted-site-refused")
    # The same page from the listed site gets its answer: the refusal is the origin's, not the page's.
    frames = frames_seen(browser, f"{listed}/raw-socket.html?rasa={live.urls['rasa']}", '42["bot_uttered"')
    assert "trial" in frames[-1]


def test_a_client_naming_an_unlisted_origin_is_refused_on_either_transport(live):
    for transports in (["websocket"], ["polling"]):
        client, refusals = socketio.Client(), []
        client.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(live.urls["rasa"], headers={"Origin": "https://evil.example"}, transports=transports,
                           socketio_path="/socket.io", wait_timeout=30)
        assert refusals == [{"message": "this site may not use the assistant"}], transports
