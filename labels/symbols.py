"""Encode a payload string as a barcode Symbol; one table maps each format to its encoder and quiet zones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labels.code128 import code128_modules
from labels.ean13 import ean13_digits, ean13_modules
from labels.element_string import Element, bracketed, build_element_string, human_readable_checked, join_checked
from labels.errors import SymbolError
from labels.gs1_parse import parse_gs1
from labels.matrix_codes import datamatrix_rows, qr_rows
from labels.symbol import Symbol


@dataclass(frozen=True, slots=True)
class SymbolFormat:
    """How to encode one symbology: payload → (normalized payload, rows, HRI) plus its quiet zones."""

    encode: Callable[[str], tuple[str, tuple[str, ...] | Callable[[], tuple[str, ...]], str]]
    quiet_left: int
    quiet_right: int
    quiet_vertical: int


def _gs1_elements(payload: str) -> tuple[Element, ...]:
    # The payload is a raw element string (GS separators); parsing it validates every AI and value,
    # so the pairs it returns are joined and spelled without being checked again.
    return parse_gs1(payload).elements


def _code128(payload: str):
    return payload, (code128_modules(payload),), payload


def _gs1_128(payload: str):
    elements = _gs1_elements(payload)
    raw = join_checked(elements)
    # GenSpecs 5.4.1: a GS1-128 symbol holds at most 48 data characters.
    if len(raw) > 48:
        raise SymbolError("too_long", f"GS1-128 holds at most 48 characters, got {len(raw)}")
    return raw, (code128_modules(raw, gs1=True),), human_readable_checked(elements)


def _ean13(payload: str):
    digits = ean13_digits(payload)
    return digits, (ean13_modules(digits),), digits


def _qr(payload: str):
    if not payload:
        raise SymbolError("empty", "a QR Code needs data")
    return payload, lambda: qr_rows(payload), ""


def _gs1_datamatrix(payload: str):
    elements = _gs1_elements(payload)
    zint_input = bracketed(elements)
    return join_checked(elements), lambda: datamatrix_rows(zint_input), human_readable_checked(elements)


FORMATS: dict[str, SymbolFormat] = {
    # ISO/IEC 15417 4.3.4 / GenSpecs 5.4.4.5: quiet zones of 10X on both sides of Code 128.
    "code128": SymbolFormat(_code128, 10, 10, 0),
    "gs1-128": SymbolFormat(_gs1_128, 10, 10, 0),
    # GenSpecs 5.2.3.4: EAN-13 quiet zones are 11X left and 7X right.
    "ean13": SymbolFormat(_ean13, 11, 7, 0),
    # ISO/IEC 18004 7.3.8: 4 modules of quiet zone around a QR Code.
    "qr": SymbolFormat(_qr, 4, 4, 4),
    # ISO/IEC 16022 5.2.7 (GenSpecs 5.6.3): 1 module is the minimum; we keep 2 for handheld scanners.
    "gs1-datamatrix": SymbolFormat(_gs1_datamatrix, 2, 2, 2),
}


def encode_symbol(kind: str, payload: str) -> Symbol:
    """Encode ``payload`` in the symbology ``kind`` (a key of FORMATS); GS1 kinds take a raw element string."""
    fmt = FORMATS.get(kind)
    if fmt is None:
        raise SymbolError("unknown_format", f"unknown symbology {kind!r}; known: {sorted(FORMATS)}")
    normalized, rows, hri = fmt.encode(payload)
    return Symbol(kind, normalized, rows, fmt.quiet_left, fmt.quiet_right, fmt.quiet_vertical, hri)


def qr_size_estimate(payload: str) -> int:
    """Return the modules across a level-M QR Code for ``payload`` without encoding it (an upper bound).

    ISO/IEC 18004 Table 7: byte-mode capacity at level M of versions 1-15; size = 17 + 4 × version.
    The real symbol is never larger, as the encoder may pick a denser mode but not a larger version.
    """
    need = len(payload.encode("utf-8")) + (0 if payload.isascii() else 1)  # ECI 26 costs about a byte
    for version, capacity in enumerate(_QR_M_BYTES, start=1):
        if need <= capacity:
            return 17 + 4 * version
    return 177  # version 40


_QR_M_BYTES = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412)


def encode_gs1(kind: str, elements: list[Element] | tuple[Element, ...]) -> Symbol:
    """Encode (AI, value) pairs as "gs1-128" or "gs1-datamatrix"."""
    return encode_symbol(kind, build_element_string(elements))
