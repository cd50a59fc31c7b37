"""The dashboard: the team's figures for a period and channel, as a page with charts and
as CSV for a spreadsheet (bot/app/dashboard.py reads them from the database)."""
from __future__ import annotations

import asyncio
import csv
import io

from aiohttp import web

from bot.app import dashboard
from bot.clock import now_utc
from bot.core.money import format_amount
from bot.web.console.charts import bars
from bot.web.console.views import render

routes = web.RouteTableDef()


def _choice(request: web.Request) -> tuple[int, str]:
    try:
        days = int(request.query.get("days", "30"))
    except ValueError:
        days = 30
    channel = request.query.get("channel", "")
    return (days if days in dashboard.PERIODS else 30), (channel if channel in dashboard.CHANNELS else "")


async def _report(request: web.Request) -> dict:
    days, channel = _choice(request)
    return await asyncio.to_thread(dashboard.report, now=now_utc(), days=days, channel=channel,
                                   engine=request.app["engine"])


@routes.get("/dashboard")
async def page(request: web.Request) -> web.Response:
    report = await _report(request)
    daily = report["daily"]
    label = lambda row: f"{row['day']:%d %b}"  # noqa: E731
    money_charts = [{"title": f"{kind.capitalize()}s paid, {currency.upper()}",
                     "chart": bars([(label(r), r["money"].get((kind, currency), 0), 0) for r in daily],
                                   describe=lambda minor, currency=currency: format_amount(int(minor), currency))}
                    for kind, currency in sorted({key for r in daily for key in r["money"]})]
    return render(request, "dashboard.html", report=report, periods=dashboard.PERIODS, channels=dashboard.CHANNELS,
                  conversations_chart=bars([(label(r), r["conversations"], r["escalated"]) for r in daily]),
                  money_charts=money_charts,
                  money=[{**m, "total": format_amount(m["amount"], m["currency"])} for m in report["money"]])


@routes.get("/dashboard.csv")
async def csv_export(request: web.Request) -> web.Response:
    report = await _report(request)
    columns = sorted({key for row in report["daily"] for key in row["money"]})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "conversations", "escalated", "cases_opened", "cases_resolved", "ratings",
                     "average_rating"] + [f"{kind}s_{currency}" for kind, currency in columns])
    for row in report["daily"]:
        average = f"{row['average_rating']:.2f}" if row["average_rating"] is not None else ""
        writer.writerow([row["day"].isoformat(), row["conversations"], row["escalated"], row["cases_opened"],
                         row["cases_resolved"], row["ratings"], average]
                        + [_major_text(row["money"].get(key, 0), key[1]) for key in columns])
    name = f"support-{report['end']:%Y%m%d}-{report['days']}d{'-' + report['channel'] if report['channel'] else ''}.csv"
    return web.Response(text=out.getvalue(), content_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _major_text(amount: int, currency: str) -> str:
    return format_amount(amount, currency).split()[0]
