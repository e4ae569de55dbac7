"""How values are written in documents, per language: money, numbers, dates, weights, windows.

Russian: "1 234,50 ₽", "12.03.2026"; English: "RUB 1,234.50", "2026-03-12" (ISO, unambiguous
to every English reader). One style record per language instead of branches on ``lang``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from labels.label_data import Money
from labels.text_format import MINOR_UNITS


@dataclass(frozen=True, slots=True)
class Style:
    """The number, money and date conventions of one language."""

    group: str  # thousands separator
    decimal: str  # decimal mark
    money: str  # pattern with {amount} and {unit}
    date: str  # strftime pattern
    kg: str  # the kilogram unit
    symbols: Mapping[str, str] = field(default_factory=dict)  # currency code → printed sign


STYLES: dict[str, Style] = {
    "ru": Style(group=" ", decimal=",", money="{amount} {unit}", date="%d.%m.%Y", kg="кг", symbols={"RUB": "₽"}),
    "en": Style(group=",", decimal=".", money="{unit} {amount}", date="%Y-%m-%d", kg="kg"),
}


def number_text(value: int, lang: str) -> str:
    """An integer with the language's thousands separator: 1 234 / 1,234."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", STYLES[lang].group)


def money_text(money: Money, lang: str) -> str:
    """Integer minor units as "1 234,50 ₽" (ru) or "RUB 1,234.50" (en); no floats on the way."""
    style = STYLES[lang]
    exponent = MINOR_UNITS.get(money.currency, 2)  # ISO 4217 minor units, shared with the labels
    major, minor = divmod(abs(money.minor), 10**exponent)
    amount = number_text(major, lang) + (f"{style.decimal}{minor:0{exponent}d}" if exponent else "")
    sign = "-" if money.minor < 0 else ""
    return sign + style.money.format(amount=amount, unit=style.symbols.get(money.currency, money.currency))


def date_text(day: dt.date, lang: str) -> str:
    return day.strftime(STYLES[lang].date)


def datetime_text(moment: dt.datetime, lang: str) -> str:
    """Date and minutes, with the UTC offset when the time carries one (a courier's phone does)."""
    text = f"{date_text(moment, lang)} {moment:%H:%M}"
    offset = moment.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds()) // 60
        hours, rest = divmod(abs(minutes), 60)
        text += f" (UTC{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d})"
    return text


def window_text(start: dt.time | None, end: dt.time | None) -> str:
    """A delivery window "10:00–14:00"; empty when the order has none."""
    if start is None or end is None:
        return ""
    return f"{start:%H:%M}–{end:%H:%M}"


def weight_text(grams: int, lang: str) -> str:
    """Grams as kilograms without trailing zeros: 1250 → "1,25 кг" / "1.25 kg"."""
    style = STYLES[lang]
    kg, rest = divmod(grams, 1000)
    fraction = f"{rest:03d}".rstrip("0")
    return number_text(kg, lang) + (f"{style.decimal}{fraction}" if fraction else "") + f" {style.kg}"


def coordinates_text(lat: float, lon: float) -> str:
    """WGS 84 degrees to 6 decimals (about 0.1 m), the form map services accept: "55.751244, 37.618423"."""
    return f"{lat:.6f}, {lon:.6f}"
