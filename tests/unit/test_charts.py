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


def test_the_scale_label_has_room_for_any_amount_and_edge_dates_are_anchored_inside():
    month = [(f"{day:02d} Nov", 7739 if day == 15 else 100, 0) for day in range(1, 31)]
    chart = bars(month, describe=lambda minor: format_amount(int(minor), "usd"))
    # Written above the plot from its left edge, not squeezed into a margin beside it.
    assert chart["top_label"] == "77.39 USD" and chart["top"] >= 24
    labelled = [b for b in chart["bars"] if b["label"]]
    assert labelled[0]["anchor"] == "start" and labelled[0]["label_x"] >= 0
    assert all(b["anchor"] == "middle" for b in labelled[1:-1])
    assert {b["minor"] for b in labelled} == {True, False}  # every other date can be left out on a phone
