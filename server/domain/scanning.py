"""What a scan means: a product and a unit count (a case barcode counts its multiplier), and for
marked goods the unit's marking code. Pure: the catalog's barcodes are passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# labels is pure standard-library parsing code shared with label printing (no I/O).
from labels.errors import GS1Error
from labels.gs1_parse import parse_gs1
from server.domain.refusals import Refused


@dataclass(frozen=True, slots=True)
class BarcodeRef:
    product_id: int
    multiplier: int


@dataclass(frozen=True, slots=True)
class ScannedItem:
    product_id: int
    units: int  # units one scan counts (a case of 12 = 12)
    marking_code: str | None = None  # GTIN + serial, the unit's identity (Честный ЗНАК)
    full_code: str | None = None  # as scanned, crypto tail included


def gtin_keys(gtin: str) -> list[str]:
    """The forms a GTIN may be stored in: GTIN-14 as carried in AI (01), and EAN-13 / UPC-A / EAN-8."""
    digits = gtin.lstrip("0")
    return [gtin] + [digits.rjust(n, "0") for n in (13, 12, 8) if len(digits) <= n and digits.rjust(n, "0") != gtin]


def barcode_keys(code: str) -> list[str]:
    """The catalog barcodes a scanned string could match (itself, or its GTIN in any stored form)."""
    code = code.strip("\r\n")
    try:
        gtin = parse_gs1(code).gtin
    except GS1Error:
        return [code]
    return [code] + (gtin_keys(gtin) if gtin else [])


def resolve_scan(code: str, barcodes: Mapping[str, BarcodeRef]) -> ScannedItem:
    """Turn a scanned string into a product and a unit count, or refuse it (`unknown_barcode`)."""
    code = code.strip("\r\n")
    if code in barcodes:
        ref = barcodes[code]
        return ScannedItem(ref.product_id, ref.multiplier)
    try:
        data = parse_gs1(code)
    except GS1Error as error:
        raise Refused("unknown_barcode", f"no product has barcode {code!r}", scanned=code) from error
    gtin = data.gtin
    if gtin is None:
        raise Refused("unknown_barcode", f"no product has barcode {code!r}", scanned=code)
    for key in gtin_keys(gtin):
        if key in barcodes:
            ref = barcodes[key]
            serial = data.serial
            marking = f"01{gtin}21{serial}" if serial else None
            # A serialized unit counts one, whatever pack the GTIN names on its own.
            return ScannedItem(ref.product_id, 1 if serial else ref.multiplier, marking, code if serial else None)
    raise Refused("unknown_barcode", f"no product has GTIN {gtin}", scanned=code)
