"""Честный ЗНАК marking-code shapes, used to split a serial (21) whose GS separators a scanner dropped."""

from __future__ import annotations

from dataclasses import dataclass

# Russian marking codes (ЦРПТ GS1 DataMatrix profiles): 01 GTIN(14) + 21 serial + GS + 91 key(4) + GS
# + 92 crypto(44 or 88), or the short form 01 + 21 serial + GS + 93 crypto code(4). Serials are 13
# characters for most goods (shoes, clothing, medicines, perfume), 6, 7 or 8 for dairy, water and
# beer, 20 for tyres.
SERIAL_LENGTHS = (13, 6, 7, 8, 20)


@dataclass(frozen=True, slots=True)
class TailShape:
    """A marking-code tail after the serial: AIs in order and the fixed length of each value."""

    name: str
    fields: tuple[tuple[str, int], ...]


TAIL_SHAPES = (
    TailShape("key+crypto44", (("91", 4), ("92", 44))),
    TailShape("key+crypto88", (("91", 4), ("92", 88))),
    TailShape("crypto_code", (("93", 4),)),
)


def split_serial_tail(rest: str) -> list[tuple[str, str]] | None:
    """Split "serial91xxxx92yyyy…" (no GS) into (21), (91), (92)/(93) pairs if it fits a known shape."""
    if "\x1d" in rest:
        return None
    for shape in TAIL_SHAPES:
        tail_length = sum(len(ai) + size for ai, size in shape.fields)
        serial_length = len(rest) - tail_length
        if serial_length not in SERIAL_LENGTHS:
            continue
        pairs = [("21", rest[:serial_length])]
        at = serial_length
        for ai, size in shape.fields:
            if rest[at : at + len(ai)] != ai:
                break
            at += len(ai)
            pairs.append((ai, rest[at : at + size]))
            at += size
        else:
            return pairs
    return None
