"""How values are written on labels: money in minor units, weight, delivery window, truncation."""

import datetime as dt

import pytest

from labels.fonts import fit_text, text_width
from labels.label_data import Money
from labels.text_format import clip, money_text, weight_text, window_text


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(123450, "RUB"), "1 234,50 RUB"),
        (Money(5, "RUB"), "0,05 RUB"),
        (Money(100000000, "RUB"), "1 000 000,00 RUB"),
        (Money(-1999, "USD"), "-19,99 USD"),
        (Money(1500, "JPY"), "1 500 JPY"),
    ],
)
def test_money_is_printed_from_integer_minor_units(money, text):
    assert money_text(money) == text


@pytest.mark.parametrize(("grams", "text"), [(1250, "1,25 кг"), (1000, "1 кг"), (5, "0,005 кг"), (12000, "12 кг")])
def test_weight_is_kilograms_with_a_decimal_comma(grams, text):
    assert weight_text(grams) == text


def test_delivery_window_on_one_day_shows_the_date_once():
    assert window_text(dt.datetime(2026, 3, 12, 10), dt.datetime(2026, 3, 12, 14)) == "12.03.2026 10:00–14:00"
    assert window_text(dt.datetime(2026, 3, 12, 22), dt.datetime(2026, 3, 13, 2)) == "12.03 22:00 – 13.03 02:00"


def test_clip_keeps_n_minus_one_characters_and_adds_an_ellipsis():
    assert clip("Константин", 6) == "Конст…"
    assert clip("Иван", 6) == "Иван"
    assert clip("Иван\nПетров", 20) == "Иван Петров"


def test_fit_text_never_exceeds_the_box_width():
    for text in ("Ш" * 50, "W" * 50, "Константинопольский Александр Васильевич"):
        fitted = fit_text(text, 5.0, 60.0, bold=True)
        assert fitted.endswith("…")
        assert text_width(fitted, 5.0, bold=True) <= 60.0
