"""Parse scanned GS1 data (GS1-128, GS1 DataMatrix, GS1 QR, plain EAN/UPC) into AI/value pairs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from labels.element_string import GS, Element
from labels.errors import GS1Error
from labels.gs1 import has_valid_check_digit, normalize_gtin
from labels.gs1_ai import AI_TABLE, decode_date, lookup_ai, validate_value
from labels.marking_code import split_serial_tail

# ISO/IEC 15424 symbology identifiers that announce GS1 data (GenSpecs 5.1.2 / 5.4.2 / 5.6.3 / 5.7.3).
GS1_SYMBOLOGY_IDS = {"]C1": "GS1-128", "]d2": "GS1 DataMatrix", "]Q3": "GS1 QR Code", "]e0": "GS1 DataBar"}
# Identifiers of symbols that carry a bare GTIN: EAN/UPC (]E0, ]E3 with add-on, ]E4 EAN-8) and ITF-14 (]I0/]I1).
GTIN_SYMBOLOGY_IDS = {"]E0", "]E3", "]E4", "]I0", "]I1"}
PLAIN_GTIN_LENGTHS = (8, 12, 13, 14)


@dataclass(frozen=True, slots=True)
class GS1Data:
    """Parsed GS1 data: the (AI, value) pairs in scan order and the common fields decoded."""

    elements: tuple[Element, ...]
    symbology: str | None = None
    today: dt.date = dt.date(2000, 1, 1)  # reference for the GS1 date century window (GenSpecs 7.12)

    def get(self, ai: str) -> str | None:
        """Return the value of the first occurrence of ``ai``, or None."""
        for key, value in self.elements:
            if key == ai:
                return value
        return None

    @property
    def gtin(self) -> str | None:
        return self.get("01")

    @property
    def sscc(self) -> str | None:
        return self.get("00")

    @property
    def batch(self) -> str | None:
        return self.get("10")

    @property
    def serial(self) -> str | None:
        return self.get("21")

    @property
    def expiry(self) -> dt.date | None:
        value = self.get("17")
        return None if value is None else decode_date(value, self.today)

    @property
    def best_before(self) -> dt.date | None:
        value = self.get("15")
        return None if value is None else decode_date(value, self.today)

    @property
    def net_weight_g(self) -> int | None:
        """Net weight in grams from AI (310n), rounded half up when n > 3 decimal places of a kilogram."""
        for ai, value in self.elements:
            if ai.startswith("310"):
                decimals = AI_TABLE[ai].decimals or 0
                scale = 10**decimals
                return (int(value) * 1000 + scale // 2) // scale
        return None

    @property
    def crypto_key(self) -> str | None:
        """Честный ЗНАК verification key, AI (91)."""
        return self.get("91")

    @property
    def crypto_signature(self) -> str | None:
        """Честный ЗНАК crypto signature, AI (92)."""
        return self.get("92")

    @property
    def crypto_code(self) -> str | None:
        """Честный ЗНАК short crypto code, AI (93)."""
        return self.get("93")


def _strip_prefix(text: str) -> tuple[str, str | None]:
    symbology = None
    if len(text) >= 3 and text[0] == "]":
        symbology = text[:3]
        text = text[3:]
    # A scanner may pass the leading FNC1 through as GS; it only announces GS1 data (GenSpecs 5.4.1).
    return text.lstrip(GS), symbology


def _parse_elements(text: str, today: dt.date) -> list[Element]:
    elements: list[Element] = []
    at, end = 0, len(text)
    while at < end:
        definition = lookup_ai(text, at)
        at += len(definition.ai)
        if definition.fixed:
            value = text[at : at + definition.max_length]
            if len(value) < definition.max_length or GS in value:
                raise GS1Error("truncated", f"({definition.ai}) needs {definition.max_length} characters",
                               ai=definition.ai)  # fmt: skip
            at += definition.max_length
            if at < end and text[at] == GS:
                at += 1  # a GS after a fixed field is redundant but harmless
        else:
            stop = text.find(GS, at)
            stop = end if stop == -1 else stop
            value = text[at:stop]
            if len(value) > definition.max_length:
                # Keyboard-wedge scanners often drop GS; a marking code's tail has known lengths.
                tail = split_serial_tail(value) if definition.ai == "21" else None
                if tail is None:
                    raise GS1Error("too_long", f"({definition.ai}) is at most {definition.max_length} "
                                   f"characters, got {len(value)}", ai=definition.ai)  # fmt: skip
                for ai, part in tail:
                    elements.append((ai, validate_value(AI_TABLE[ai], part, today)))
                at = stop + 1
                continue
            at = stop + 1
        elements.append((definition.ai, validate_value(definition, value, today)))
    return elements


def parse_gs1(text: str, *, today: dt.date | None = None) -> GS1Data:
    """Parse a scanned string into GS1 data; any malformed input raises GS1Error with a code."""
    if not isinstance(text, str):
        raise GS1Error("empty", f"expected text, got {type(text).__name__}")
    today = today or dt.date.today()
    body, symbology = _strip_prefix(text.rstrip("\r\n"))
    if not body:
        raise GS1Error("empty", "no data after the symbology identifier")
    if symbology in GTIN_SYMBOLOGY_IDS:
        # An EAN/UPC/ITF-14 scan has no AI: the whole string is the GTIN (GenSpecs 3.3.2).
        return GS1Data((("01", normalize_gtin(body)),), symbology, today)
    if symbology is None and len(body) in PLAIN_GTIN_LENGTHS and body.isascii() and body.isdigit():
        # Without an identifier "17990101" may be a GTIN-8 or AI (17) with a date. Scanners verify
        # EAN/UPC check digits, so a digit string with a valid check digit is taken as a GTIN;
        # otherwise it is read as AIs, and if that fails too the GTIN's error is the useful one.
        if has_valid_check_digit(body):
            return GS1Data((("01", body.zfill(14)),), symbology, today)
        try:
            return GS1Data(tuple(_parse_elements(body, today)), symbology, today)
        except GS1Error:
            normalize_gtin(body)
            raise
    return GS1Data(tuple(_parse_elements(body, today)), symbology, today)
