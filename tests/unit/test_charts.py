"""bot/web/console/charts.py: bars are proportional to their values, and a money chart words
its values (integer minor units) through the same formatter as every other amount."""
from bot.core.money import format_amount
from bot.web.console.charts import bars


def test_bars_are_proportional_and_counts_read_as_numbers():
    chart = bars([("01 Dec", 10, 4), ("02 Dec", 5, 0)])
    first, second = chart["bars"]
    assert first["h"] == 2 * second["h"]
    assert first["title"] == "01 Dec: 10" and chart["top_label"] == "10"


def test_money_bars_keep_minor_units_and_read_as_formatted_amounts():
    chart = bars([("01 Dec", 4655, 0), ("02 Dec", 1200, 0)],
                 describe=lambda minor: format_amount(int(minor), "usd"))
    assert [b["title"] for b in chart["bars"]] == ["01 Dec: 46.55 USD", "02 Dec: 12.00 USD"]
    assert chart["top_label"] == "46.55 USD"
    yen = bars([("01 Dec", 1200, 0)], describe=lambda minor: format_amount(int(minor), "jpy"))
    assert yen["bars"][0]["title"] == "01 Dec: 1200 JPY"
