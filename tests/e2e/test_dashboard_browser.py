"""The dashboard in headless Chromium, its numbers checked against the database the whole
end-to-end session wrote (conversations on every channel, help widgets only opened, cases,
refunds, ratings), per channel, as CSV, on a 375 px screen with readable chart labels, and
axe-core's accessibility check. Screenshots go to var/screenshots/."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from bot.app.identity import issue_customer_token
from bot.core.money import format_amount
from bot.db import models
from bot.db.session import unit_of_work
from tests.e2e.test_console_browser import sign_in
from tests.e2e.test_console_live_browser import fits
from tests.support.accessibility import at_both_widths
from tests.support.browser import browser, screenshot  # noqa: F401 - the fixture
from tests.support.console_client import Agent
from tests.support.e2e_stack import SECRET, mirror, say, texts

pytestmark = pytest.mark.e2e


def a_refund_the_assistant_paid_and_its_rating(live) -> None:
    """zed is refunded by the assistant alone, through the widget's relay, and rates it 4."""
    conversation, token = "dashboard-zed-0000000000", issue_customer_token("zed@example.com", secret=SECRET)
    widget = live.urls["widget"]
    for text in ("I cancelled a day late, can I get a refund?", "yes"):
        requests.post(f"{widget}/api/messages", json={"conversation_id": conversation, "text": text,
                                                      "customer_token": token}, timeout=60).raise_for_status()
    state = requests.get(f"{widget}/api/history", params={"conversation_id": conversation}, timeout=30).json()
    subject = state["state"]["rating"]["subject"]
    assert subject.startswith("decision:"), state["state"]
    requests.post(f"{widget}/api/rating", json={"conversation_id": conversation, "subject": subject, "score": 4},
                  timeout=30).raise_for_status()


def expected(live, channel: str = "") -> tuple[dict, dict]:
    """The figures as the page shows them, and money by (kind, rule, currency) in minor
    units, counted straight from the tables for the last 30 days."""
    now = datetime.now(timezone.utc)
    start = now - timedelta(days=30)
    engine = mirror(live)
    with unit_of_work(engine) as session:
        chats = [c for c in session.execute(select(models.Conversation)).scalars()
                 if c.started_at >= start and c.customer_messages > 0  # a widget only opened is no conversation
                 and (not channel or (c.widget if channel == "widget" else c.channel == channel and not c.widget))]
        ids = {c.conversation_id for c in chats}
        escalated = {c.conversation_id for c in session.execute(select(models.ReviewCase)).scalars()} & ids
        ratings = [r.score for r in session.execute(select(models.Rating)).scalars()
                   if r.created_at >= start and (not channel or r.conversation_id in ids)]
        money = defaultdict(lambda: [0, 0])
        for entry, decision in session.execute(select(models.LedgerEntry, models.DecisionRecord).outerjoin(
                models.DecisionRecord, models.DecisionRecord.id == models.LedgerEntry.decision_id)):
            if entry.kind in ("refund", "credit") and entry.status == "succeeded" and entry.created_at >= start \
                    and (not channel or (decision and decision.conversation_id in ids)):
                key = (entry.kind, decision.rule if decision else "", entry.currency)
                money[key][0] += 1
                money[key][1] += entry.amount
    engine.dispose()
    return {"conversations": str(len(ids)),
            "escalated": f"{len(escalated)} of {len(ids)} conversation{'s' if len(ids) != 1 else ''}",
            "escalation_rate": f"{len(escalated) / len(ids) * 100:.1f} %" if ids else "–",
            "ratings": str(len(ratings)),
            "satisfaction": f"{sum(ratings) / len(ratings):.1f} / 5" if ratings else "–",
            "money": sorted([kind, rule or "–", currency.upper(), str(count), format_amount(total, currency)]
                            for (kind, rule, currency), (count, total) in money.items())}, dict(money)


def shown(driver) -> dict:
    metric = lambda name: driver.find_element(By.CSS_SELECTOR, f"[data-metric='{name}']").text  # noqa: E731
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in driver.find_elements(By.CSS_SELECTOR, "#money tr") if tr.find_elements(By.TAG_NAME, "td")]
    return {**{name: metric(name) for name in ("conversations", "escalated", "escalation_rate", "ratings",
                                               "satisfaction")}, "money": sorted(rows)}


def widgets_only_opened(live) -> list[str]:
    """Help widgets opened and closed without a word: each has a row, none is a conversation."""
    opened = [f"dashboard-opened-{n}-00000000000" for n in range(2)]
    for conversation in opened:
        requests.get(f"{live.urls['widget']}/api/history", params={"conversation_id": conversation},
                     timeout=30).raise_for_status()
    return opened


def test_the_dashboards_numbers_are_the_databases(live, browser):  # noqa: F811
    a_refund_the_assistant_paid_and_its_rating(live)
    texts(say(live, "dashboard-handoff", "I'd like to talk to a real person please", None))  # an escalation
    opened = widgets_only_opened(live)
    engine = mirror(live)
    with unit_of_work(engine) as session:
        rows = session.execute(select(models.Conversation.customer_messages).where(
            models.Conversation.conversation_id.in_(opened))).scalars().all()
    engine.dispose()
    assert rows == [0, 0]  # they are in the table the dashboard reads
    console = live.urls["console"]
    sign_in(browser, console)
    browser.get(f"{console}/dashboard")
    figures, money = shown(browser), expected(live)[1]
    assert figures == expected(live)[0]
    assert int(figures["conversations"]) >= 2 and figures["ratings"] != "0"
    assert any(row[:2] == ["refund", "R1"] for row in figures["money"]), figures["money"]
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")  # drawn on the server
    screenshot(browser, "console-13-dashboard")

    Select(browser.find_element(By.ID, "channel")).select_by_value("widget")
    browser.find_element(By.XPATH, "//button[text()='Show']").click()
    WebDriverWait(browser, 10).until(lambda d: "channel=widget" in d.current_url)
    assert shown(browser) == expected(live, "widget")[0]

    agent = Agent(console, "alice")
    download = agent.page("/dashboard.csv?days=30")
    assert download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 31 and sum(int(r["conversations"]) for r in rows) == int(figures["conversations"])
    paid = round(sum(float(r.get("refunds_usd") or 0) for r in rows) * 100)
    assert paid == sum(total for (kind, _, currency), (_, total) in money.items()
                       if (kind, currency) == ("refund", "usd"))

    browser.set_window_size(375, 812)
    browser.get(f"{console}/dashboard")
    assert fits(browser)
    screenshot(browser, "console-14-dashboard-375")
    labels = browser.execute_script(  # on screen: size, and room inside the chart
        "return Array.from(document.querySelectorAll('svg.chart text.tick')).filter(function (t) {"
        " return t.getClientRects().length; }).map(function (t) { var r = t.getBoundingClientRect(),"
        " c = t.ownerSVGElement.getBoundingClientRect(); return [t.textContent, r.height, r.left >= c.left - 1"
        " && r.right <= c.right + 1]; })")
    assert labels and all(height >= 11 and inside for _, height, inside in labels), labels
    assert any(" USD" in text for text, _, _ in labels)  # a money chart's scale, whole: "77.39 USD", not "39 USD"
    browser.execute_script("document.querySelectorAll('svg.chart')[1].scrollIntoView({block: 'center'})")
    screenshot(browser, "console-19-money-chart-375")
    assert at_both_widths(browser, "dashboard") == {1280: [], 375: []}


def test_the_demo_brings_canned_replies(live, browser):  # noqa: F811
    sign_in(browser, live.urls["console"])
    browser.get(f"{live.urls['console']}/replies")
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "article.reply h2")]
    assert {"Introduce yourself", "Ask for details", "Wrap up"} <= set(titles), titles
    screenshot(browser, "console-18-canned-replies")
