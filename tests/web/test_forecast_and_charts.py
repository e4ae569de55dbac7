"""Pure parts of the reports: the forecast, its backtest, percentiles, chart geometry, formatting, words."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from server.web import charts, formatting
from server.web.forecast import HOLDOUT, forecast, holt_winters, mape, seasonal_naive
from server.web.i18n import STRINGS, Translator, pick_locale
from server.web.report_data import percentile

WEEK = [30, 34, 33, 35, 40, 12, 8]


def test_a_weekly_pattern_is_forecast_within_a_few_percent() -> None:
    history = [v + 0.5 * (i // 7) for i in range(12 * 7) for v in [WEEK[i % 7]]]  # a weekly shape on a slow rise
    result = forecast(history, 14)
    assert result.method == "holt_winters"
    assert result.backtest_mape is not None and result.backtest_mape < 0.05
    assert result.backtest_mape <= result.naive_mape
    assert result.values[5] < result.values[4]  # the weekend dip carries on


def test_the_model_is_never_worse_than_the_seasonal_naive_baseline_on_the_backtest() -> None:
    noisy = [WEEK[i % 7] + (7 * i % 11) - 5 for i in range(10 * 7)]
    result = forecast(noisy, 7)
    assert result.backtest_mape is not None and result.naive_mape is not None
    assert result.backtest_mape <= result.naive_mape


def test_too_little_history_falls_back_to_the_mean_and_says_there_is_no_backtest() -> None:
    result = forecast([3, 5, 4], 7)
    assert result.method == "mean" and result.values == [4.0] * 7 and result.backtest_mape is None


def test_forecasts_are_never_negative() -> None:
    falling = [max(0, 100 - 3 * i) for i in range(6 * 7)]
    assert min(forecast(falling, 28).values) >= 0


def test_seasonal_naive_repeats_the_last_week() -> None:
    assert seasonal_naive(list(range(14)), 9) == [7, 8, 9, 10, 11, 12, 13, 7, 8]


def test_mape_ignores_days_with_nothing_to_compare() -> None:
    assert mape([0, 10, 20], [5, 11, 18]) == pytest.approx((0.1 + 0.1) / 2)
    assert mape([0, 0], [1, 2]) is None


def test_holt_winters_reproduces_a_pure_season_exactly() -> None:
    values, sse = holt_winters(WEEK * 6, 7, 0.3, 0.0, 0.3)
    assert sse == pytest.approx(0, abs=1e-9) and values == pytest.approx(WEEK)


def test_the_backtest_holds_out_two_weeks() -> None:
    assert HOLDOUT == 14


def test_nearest_rank_percentiles() -> None:
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([5], 0.9) == 5
    assert percentile([], 0.5) is None


def test_axis_tops_are_round_numbers() -> None:
    assert [charts.nice_ceiling(v) for v in (0, 0.7, 3, 7, 11, 180, 2001)] == [1, 1, 5, 10, 20, 200, 5000]


def test_stacked_bars_fit_the_plot_and_stack() -> None:
    chart = charts.stacked_bars("t", ["a", "b"], [("x", [2, 0]), ("y", [3, 1])], str, width=400, height=200)
    assert len(chart.rects) == 3
    bottom = 200 - charts.BOTTOM
    first = [r for r in chart.rects if r.title.startswith("a")]
    assert math.isclose(first[0].y + first[0].h, bottom) and math.isclose(first[1].y + first[1].h, first[0].y, abs_tol=0.2)
    assert all(r.y >= charts.TOP - 0.1 for r in chart.rects)


def test_money_reads_in_each_language() -> None:
    assert formatting.money(123456, "RUB", "ru") == "1\u00a0234,56\u00a0₽"
    assert formatting.money(-5, "USD", "en") == "-$0.05"
    assert formatting.duration(3725, "en") == "1 h 02 min" and formatting.duration(90000, "ru") == "1 д 1 ч"


TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "web" / "templates"
SOURCES = Path(__file__).resolve().parents[2] / "server" / "web"


def test_every_word_the_pages_use_exists_in_both_languages() -> None:
    used = set()
    for path in [*TEMPLATES.glob("*.html"), *SOURCES.rglob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']\s*[,)]""", path.read_text()))
    assert used, "found no keys: the pattern is wrong"
    assert sorted(used - STRINGS.keys()) == []
    assert all(len(pair) == 2 and all(pair) for pair in STRINGS.values())


def test_an_unknown_enumeration_value_is_shown_as_itself() -> None:
    t = Translator("en")
    assert t.label("event", "payment_collected") == "payment_collected"
    assert t.label("status", "picking") == "picking" and Translator("ru").label("status", "picking") == "комплектуется"


def test_the_language_is_the_accounts_then_the_cookies_then_the_browsers() -> None:
    assert pick_locale("en", "ru", "ru") == "en"
    assert pick_locale(None, "en", "ru-RU") == "en"
    assert pick_locale(None, None, "de-DE,en;q=0.8") == "en"
    assert pick_locale(None, None, None) == "ru"
