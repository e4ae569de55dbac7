"""Catalog rules: products, their barcodes with pack multipliers, warehouses and bins."""

from __future__ import annotations

import re

# labels.gs1 is pure standard-library code (no I/O), shared with label printing and scan parsing.
from labels.gs1 import gs1_check_digit
from server.domain.refusals import Refused

CURRENCY = re.compile(r"^[A-Z]{3}$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
# GTIN-8, -12 (UPC), -13 (EAN) and -14 (case codes): GS1 GenSpecs 3.3.2.
GTIN_LENGTHS = (8, 12, 13, 14)


def barcode_is_gtin(code: str) -> bool:
    """Whether a barcode is a GTIN with a correct check digit."""
    return code.isdigit() and len(code) in GTIN_LENGTHS and gs1_check_digit(code[:-1]) == int(code[-1])


def validate_product(sku: str, name: str, price: int, currency: str, weight_g: int) -> None:
    """Refuse malformed product data."""
    if not SKU.match(sku):
        raise Refused("sku_invalid", "a SKU is 1-64 letters, digits, '.', '_', '/' or '-'")
    if not name.strip():
        raise Refused("product_name_required", "a product needs a name")
    if price < 0:
        raise Refused("price_negative", "a price cannot be negative")
    if not CURRENCY.match(currency):
        raise Refused("currency_invalid", "a currency is a three-letter ISO 4217 code")
    if weight_g < 0:
        raise Refused("weight_negative", "a weight cannot be negative")


def validate_barcode(code: str, multiplier: int) -> None:
    """Digit-only barcodes must be valid GTINs; a multiplier says how many units a scan counts."""
    if not code or len(code) > 64 or not code.isprintable():
        raise Refused("barcode_invalid", "a barcode is 1-64 printable characters")
    if code.isdigit() and len(code) in GTIN_LENGTHS and not barcode_is_gtin(code):
        raise Refused("barcode_check_digit", f"barcode {code} has a wrong GS1 check digit")
    if multiplier < 1:
        raise Refused("multiplier_invalid", "a barcode counts at least one unit")


def validate_location(code: str, barcode: str, pick_seq: int) -> None:
    """Refuse malformed bin data."""
    if not code.strip() or not barcode.strip():
        raise Refused("location_invalid", "a bin needs a code and a barcode")
    if pick_seq < 0:
        raise Refused("pick_seq_invalid", "a pick sequence is not negative")
