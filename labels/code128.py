"""Code 128 and GS1-128 encoding to a module pattern (ISO/IEC 15417; GS1 GenSpecs 5.4)."""

from __future__ import annotations

import functools
import re

from barcode.charsets.code128 import CODES

from labels.errors import SymbolError

FNC1 = 102  # ISO/IEC 15417 5.3.4: FNC1 has value 102 in all three code sets
START_B, START_C = 104, 105
CODE_B, CODE_C = 100, 99  # code-set switch values (100 = Code B from A/C, 99 = Code C from A/B)
STOP = "1100011101011"  # ISO/IEC 15417: stop character 2331112 = 13 modules including the final bar
GS = "\x1d"


_DIGITS = re.compile(r"[0-9]*")


def _digit_run(data: str, at: int) -> int:
    return _DIGITS.match(data, at).end() - at


@functools.lru_cache(maxsize=256)  # a label encodes, then a renderer (ZPL) spells, the same data
def code128_values_cached(data: str, gs1: bool) -> tuple[int, ...]:
    return tuple(code128_values(data, gs1))


def code128_values(data: str, gs1: bool = False) -> list[int]:
    """Return the symbol character values, start to check character; GS becomes FNC1 when gs1."""
    if not data:
        raise SymbolError("empty", "Code 128 needs at least one character")
    values: list[int] = []
    # ISO/IEC 15417 Annex E.1: start in Code C when the data begins with 4 or more digits
    # (or is exactly 2 digits); otherwise Code B. We never need Code A: payloads are printable ASCII.
    first_run = _digit_run(data, 0)
    in_c = first_run >= 4 or (first_run == 2 == len(data))
    values.append(START_C if in_c else START_B)
    if gs1:
        values.append(FNC1)  # GenSpecs 5.4.1: FNC1 right after the start character marks GS1-128
    at, end = 0, len(data)
    while at < end:
        char = data[at]
        if gs1 and char == GS:
            values.append(FNC1)  # GenSpecs 5.4.2.6: FNC1 separates a variable-length field
            at += 1
            continue
        run = _digit_run(data, at)
        if in_c:
            if run >= 2:
                # Take every digit pair of the run in one go; a GS or an odd last digit ends it.
                pairs_end = at + run - run % 2
                values.extend([int(data[i : i + 2]) for i in range(at, pairs_end, 2)])
                at = pairs_end
                continue
            values.append(CODE_B)
            in_c = False
            continue
        # Annex E.2: in Code B switch to C for 6+ digits, or 4+ digits that end the data.
        if run >= 6 or (run >= 4 and at + run == end):
            if run % 2:
                values.append(ord(char) - 32)
                at += 1
            values.append(CODE_C)
            in_c = True
            continue
        code = ord(char)
        if not 32 <= code <= 126:
            raise SymbolError("bad_charset", f"Code 128 here takes printable ASCII only: {char!r}")
        values.append(code - 32)
        at += 1
    # ISO/IEC 15417 5.4.3: modulo 103 of the start value plus each value times its position.
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    values.append(check)
    return values


def code128_modules(data: str, gs1: bool = False) -> str:
    """Return the module string ("1" = bar) for data, start to stop, without quiet zones."""
    return "".join(CODES[v] for v in code128_values_cached(data, gs1)) + STOP
