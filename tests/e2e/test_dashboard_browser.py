"""The dashboard in headless Chromium, its numbers checked against the database the whole
end-to-end session wrote (conversations on every channel, cases, refunds, ratings), per
channel, as CSV, and on a 375 px screen. Screenshots go to var/screenshots/."""
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
        chats = [c for c in session.execute(select(models.Conversation)).scalars() if c.started_at >= start
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
    return {"conversations": str(len(ids)), "escalated": f"{len(escalated)} of {len(ids)} conversation{'s' if len(ids) != 1 else ''}",
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


def test_the_dashboards_numbers_are_the_databases(live, browser):  # noqa: F811
    a_refund_the_assistant_paid_and_its_rating(live)
    texts(say(live, "dashboard-handoff", "I'd like to talk to a real person please", None))  # an escalation
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
    assert paid == sum(total for (kind, _, currency), (_, total) in money.items() if (kind, currency) == ("refund", "usd"))

    browser.set_window_size(375, 812)
    browser.get(f"{console}/dashboard")
    assert fits(browser)
    screenshot(browser, "console-14-dashboard-375")
