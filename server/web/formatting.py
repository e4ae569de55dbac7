"""How numbers, money, times and durations read on the pages, per locale. Times are UTC."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€"}
# ISO 4217 minor units; currencies not listed have two.
MINOR_DIGITS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}


def group_digits(n: int, locale: str) -> str:
    text = f"{abs(n):,}".replace(",", "\u00a0" if locale == "ru" else ",")
    return ("-" if n < 0 else "") + text


def number(value: float | int | None, locale: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u00a0").replace(".", ",") if locale == "ru" else text


def money(minor: int | None, currency: str, locale: str) -> str:
    """Integer minor units as money: 123456 RUB -> "1 234,56 ₽" (ru) or "₽1,234.56" (en)."""
    if minor is None:
        return "—"
    digits = MINOR_DIGITS.get(currency, 2)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    sep = "," if locale == "ru" else "."
    amount = group_digits(whole, locale) + (sep + f"{frac:0{digits}d}" if digits else "")
    symbol = CURRENCY_SIGNS.get(currency, currency)
    return f"{sign}{amount}\u00a0{symbol}" if locale == "ru" else f"{sign}{symbol}{amount}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def when_short(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value else "—"


def duration(value: timedelta | float | None, locale: str) -> str:
    """A span as "2 h 05 min" / "3 d 4 h" / "45 s" (ru: ч, мин, д, с)."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    units = ("д", "ч", "мин", "с") if locale == "ru" else ("d", "h", "min", "s")
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    if d:
        return f"{sign}{d} {units[0]} {h} {units[1]}"
    if h:
        return f"{sign}{h} {units[1]} {m:02d} {units[2]}"
    if m:
        return f"{sign}{m} {units[2]}"
    return f"{sign}{s} {units[3]}"


def ago(value: datetime | None, at: datetime, locale: str) -> str:
    if value is None:
        return "—"
    return duration(at - value, locale)


def percent(value: float | None, locale: str) -> str:
    return "—" if value is None else number(100 * value, locale, 1) + "\u00a0%"
