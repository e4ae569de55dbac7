"""EAN-13 encoding to a module pattern (ISO/IEC 15420; GS1 GenSpecs 5.2)."""

from __future__ import annotations

from barcode.charsets.ean import CODES, EDGE, LEFT_PATTERN, MIDDLE

from labels.gs1 import append_check_digit, validate_key


def ean13_digits(digits: str) -> str:
    """Return the 13 digits of an EAN-13, computing the check digit when 12 are given."""
    if len(digits) == 12 and digits.isascii() and digits.isdigit():
        return append_check_digit(digits)
    return validate_key(digits, "gtin13")


def ean13_modules(digits: str) -> str:
    """Return the 95-module pattern of an EAN-13 from 12 or 13 digits."""
    full = ean13_digits(digits)
    # GenSpecs 5.2.2.4: the first digit is not drawn; it picks the A/B parity of the left half.
    parity = LEFT_PATTERN[int(full[0])]
    left = "".join(CODES[p][int(d)] for p, d in zip(parity, full[1:7]))
    right = "".join(CODES["C"][int(d)] for d in full[7:])
    return EDGE + left + MIDDLE + right + EDGE
