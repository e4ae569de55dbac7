"""The GS1 Application Identifier table (GS1 General Specifications 3.2) and per-field value rules."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from labels.errors import GS1Error
from labels.gs1 import has_valid_check_digit

# GS1 GenSpecs 7.11 Figure 7.11-1: GS1 AI encodable character set 82.
CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class AIDef:
    """One Application Identifier: its data title and the format of its data field."""

    ai: str
    title: str
    max_length: int
    fixed: bool = False  # fixed length (= max_length) or variable up to max_length
    numeric: bool = True  # N (digits) or X (character set 82)
    check_digit: tuple[int, int] | None = None  # slice [start, end) of the value that ends in a mod-10 check digit
    date: bool = False  # YYMMDD (GenSpecs 7.12)
    decimals: int | None = None  # implied decimal places, the last digit of AIs such as 310n
    numeric_prefix: int = 0  # leading digits that must be numeric in an X field (e.g. ISO country code of 421)


def _n(ai: str, title: str, length: int, **kw) -> AIDef:
    return AIDef(ai, title, length, fixed=True, **kw)


def _x(ai: str, title: str, max_length: int, **kw) -> AIDef:
    return AIDef(ai, title, max_length, numeric=False, **kw)


_TABLE: list[AIDef] = [
    # GS1 GenSpecs 3.2: AI (00) is 18 digits fixed and ends in a check digit.
    _n("00", "SSCC", 18, check_digit=(0, 18)),
    _n("01", "GTIN", 14, check_digit=(0, 14)),
    _n("02", "CONTENT", 14, check_digit=(0, 14)),
    _x("10", "BATCH/LOT", 20),
    # GenSpecs 3.4: dates are N6 YYMMDD.
    _n("11", "PROD DATE", 6, date=True),
    _n("12", "DUE DATE", 6, date=True),
    _n("13", "PACK DATE", 6, date=True),
    _n("15", "BEST BEFORE or BEST BY", 6, date=True),
    _n("16", "SELL BY", 6, date=True),
    _n("17", "USE BY OR EXPIRY", 6, date=True),
    _n("20", "VARIANT", 2),
    _x("21", "SERIAL", 20),
    _x("22", "CPV", 20),
    _x("240", "ADDITIONAL ID", 30),
    _x("241", "CUST. PART No.", 30),
    _x("250", "SECONDARY SERIAL", 30),
    AIDef("30", "VAR. COUNT", 8),
    AIDef("37", "COUNT", 8),
    _x("400", "ORDER NUMBER", 30),
    _x("401", "GINC", 30),
    _n("402", "GSIN", 17, check_digit=(0, 17)),
    _x("403", "ROUTE", 30),
    _n("410", "SHIP TO LOC", 13, check_digit=(0, 13)),
    _n("411", "BILL TO", 13, check_digit=(0, 13)),
    _n("412", "PURCHASE FROM", 13, check_digit=(0, 13)),
    _n("413", "SHIP FOR LOC", 13, check_digit=(0, 13)),
    _n("414", "LOC No.", 13, check_digit=(0, 13)),
    _x("420", "SHIP TO POST", 20),
    # GenSpecs 3.6.6: AI (421) is an ISO 3166 numeric country code N3 then a postal code X..9.
    _x("421", "SHIP TO POST", 12, numeric_prefix=3),
    # GenSpecs 3.9.3: AI (8003) is N14 (a zero, then the 13-digit GRAI with check digit) + serial X..16.
    _x("8003", "GRAI", 30, numeric_prefix=14, check_digit=(1, 14)),
    _n("8005", "PRICE PER UNIT", 6),
    _x("8020", "REF No.", 25),
    _x("90", "INTERNAL", 30),
    # GenSpecs 3.10: AIs (91)-(99) are company internal, X..90. Честный ЗНАК puts its verification key
    # in (91), its crypto signature in (92) and its short crypto code in (93).
    *(_x(str(ai), "INTERNAL", 90) for ai in range(91, 100)),
    # GenSpecs 3.6.2: 310n net weight in kg, 330n logistic gross weight in kg; n = implied decimal places.
    *(_n(f"310{n}", "NET WEIGHT (kg)", 6, decimals=n) for n in range(6)),
    *(_n(f"330{n}", "GROSS WEIGHT (kg)", 6, decimals=n) for n in range(6)),
]

AI_TABLE: dict[str, AIDef] = {d.ai: d for d in _TABLE}

# GS1 GenSpecs 7.8.5 Figure 7.8.5-2: element strings whose AI starts with these two digits have a
# predefined length (AI included) and need no FNC1 separator after them. Every other AI does, even
# a fixed-length one such as (8005).
PREDEFINED_LENGTH: dict[str, int] = {
    "00": 20, "01": 16, "02": 16, "03": 16, "04": 18,
    "11": 8, "12": 8, "13": 8, "14": 8, "15": 8, "16": 8, "17": 8, "18": 8, "19": 8,
    "20": 4, "31": 10, "32": 10, "33": 10, "34": 10, "35": 10, "36": 10, "41": 16,
}  # fmt: skip


def needs_separator(ai: str) -> bool:
    """Tell whether an element string with this AI must be followed by FNC1/GS when it is not last."""
    return ai[:2] not in PREDEFINED_LENGTH


def lookup_ai(text: str, start: int = 0) -> AIDef:
    """Return the AI that begins ``text`` at ``start``; GS1 AIs are prefix-free, so at most one matches."""
    for size in (2, 3, 4):
        found = AI_TABLE.get(text[start : start + size])
        if found is not None:
            return found
    raise GS1Error("unknown_ai", f"no known AI at position {start}: {text[start:start + 4]!r}")


def decode_date(yymmdd: str, today: dt.date) -> dt.date:
    """Decode a GS1 YYMMDD date; day 00 means the last day of the month (GenSpecs 7.12)."""
    if len(yymmdd) != 6 or not set(yymmdd) <= DIGITS:
        raise GS1Error("bad_date", f"a GS1 date is YYMMDD: {yymmdd!r}")
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    # GenSpecs 7.12: the century is chosen so the date lies no more than 49 years ahead or 50 back.
    current = today.year
    diff = yy - current % 100
    century = current - current % 100
    if diff >= 51:
        century -= 100
    elif diff <= -50:
        century += 100
    year = century + yy
    if not 1 <= mm <= 12:
        raise GS1Error("bad_date", f"month {mm:02d} in {yymmdd!r}")
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        return dt.date(year, mm, last)
    if dd > last:
        raise GS1Error("bad_date", f"day {dd:02d} does not exist in {year}-{mm:02d}")
    return dt.date(year, mm, dd)


def validate_value(ai: AIDef, value: str, today: dt.date | None = None) -> str:
    """Check a field value against its AI's format; return it unchanged or raise GS1Error."""
    if not value:
        raise GS1Error("truncated", f"({ai.ai}) has an empty value", ai=ai.ai)
    if ai.fixed and len(value) != ai.max_length:
        raise GS1Error("bad_length", f"({ai.ai}) is {ai.max_length} characters, got {len(value)}", ai=ai.ai)
    if len(value) > ai.max_length:
        raise GS1Error("too_long", f"({ai.ai}) is at most {ai.max_length} characters, got {len(value)}", ai=ai.ai)
    if len(value) < ai.numeric_prefix:
        raise GS1Error("truncated", f"({ai.ai}) starts with {ai.numeric_prefix} digits: {value!r}", ai=ai.ai)
    if not set(value if ai.numeric else value[: ai.numeric_prefix]) <= DIGITS:
        raise GS1Error("not_digits", f"({ai.ai}) must be digits here: {value!r}", ai=ai.ai)
    if not ai.numeric and not set(value) <= CSET82:
        bad = sorted(set(value) - CSET82)
        raise GS1Error("bad_charset", f"({ai.ai}) has characters outside GS1 set 82: {bad!r}", ai=ai.ai)
    if ai.check_digit is not None:
        start, end = ai.check_digit
        if not has_valid_check_digit(value[start:end]):
            raise GS1Error("bad_check_digit", f"({ai.ai}) {value[start:end]} has a wrong check digit", ai=ai.ai)
    if ai.date:
        try:
            decode_date(value, today or dt.date(2000, 1, 1))
        except GS1Error as exc:
            raise GS1Error("bad_date", str(exc), ai=ai.ai) from None
    return value
