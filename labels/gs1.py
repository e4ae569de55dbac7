"""GS1 keys: check digits (GS1 General Specifications 7.9) and the SSCC builder (GenSpecs 2.2.1)."""

from __future__ import annotations

from labels.errors import GS1Error

# GS1 GenSpecs 3.2 / 7.9: the fixed lengths of the GS1 keys that carry a mod-10 check digit.
KEY_LENGTHS: dict[str, int] = {
    "gtin8": 8,
    "gtin12": 12,
    "gtin13": 13,
    "gtin14": 14,
    "gln": 13,
    "sscc": 18,
}

# GS1 GenSpecs 2.2.1: GS1 Company Prefixes are 7 to 10 digits inside the SSCC
# (shorter "one-off" prefixes are not issued for SSCCs we build).
SSCC_PREFIX_LENGTHS = range(7, 11)


def _require_digits(text: str, what: str) -> None:
    # str.isdigit() accepts other scripts' digits ("٣", "²"); GS1 keys are ASCII 0-9 only.
    if not text or not (text.isascii() and text.isdigit()):
        raise GS1Error("not_digits", f"{what} must be digits 0-9: {text!r}")


def gs1_check_digit(digits: str) -> int:
    """Return the check digit for a GS1 key given without its check digit."""
    _require_digits(digits, "GS1 keys are digits only;")
    # GS1 GenSpecs 7.9.1: weights 3,1,3,1... from the rightmost digit, check = (10 - sum mod 10) mod 10.
    total = 3 * sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2]))
    return (10 - total % 10) % 10


def append_check_digit(body: str) -> str:
    """Return ``body`` followed by its GS1 mod-10 check digit."""
    return body + str(gs1_check_digit(body))


def has_valid_check_digit(key: str) -> bool:
    """Tell whether the last digit of a GS1 key is its correct mod-10 check digit."""
    _require_digits(key, "GS1 key")
    if len(key) < 2:
        return False
    return gs1_check_digit(key[:-1]) == int(key[-1])


def validate_key(key: str, kind: str) -> str:
    """Check a GS1 key of a given kind (gtin8, gtin12, gtin13, gtin14, gln, sscc) and return it."""
    length = KEY_LENGTHS[kind]
    _require_digits(key, kind.upper())
    if len(key) != length:
        raise GS1Error("key_length", f"{kind.upper()} is {length} digits, got {len(key)}: {key!r}")
    if not has_valid_check_digit(key):
        expected = gs1_check_digit(key[:-1])
        raise GS1Error("bad_check_digit", f"{kind.upper()} {key} should end in {expected}")
    return key


def normalize_gtin(gtin: str) -> str:
    """Return any GTIN-8/12/13/14 as the 14-digit form used in AI (01) (GenSpecs 3.3.2: left zero fill)."""
    _require_digits(gtin, "GTIN")
    if len(gtin) not in (8, 12, 13, 14):
        raise GS1Error("key_length", f"a GTIN is 8, 12, 13 or 14 digits, got {len(gtin)}: {gtin!r}")
    validate_key(gtin, f"gtin{len(gtin)}")
    return gtin.zfill(14)


def build_sscc(extension_digit: str | int, company_prefix: str, serial_reference: str) -> str:
    """Build an 18-digit SSCC: extension digit + company prefix + serial reference + check digit."""
    extension = str(extension_digit)
    _require_digits(extension, "SSCC extension digit")
    _require_digits(company_prefix, "GS1 Company Prefix")
    _require_digits(serial_reference, "SSCC serial reference")
    if len(extension) != 1:
        raise GS1Error("sscc_length", f"the SSCC extension digit is one digit, got {extension!r}")
    if len(company_prefix) not in SSCC_PREFIX_LENGTHS:
        raise GS1Error("sscc_length", f"a GS1 Company Prefix is 7-10 digits, got {len(company_prefix)}")
    # GenSpecs 2.2.1: extension (1) + company prefix + serial reference = 17 digits before the check digit.
    body = extension + company_prefix + serial_reference
    if len(body) != 17:
        need = 16 - len(company_prefix)
        raise GS1Error(
            "sscc_length",
            f"with a {len(company_prefix)}-digit company prefix the serial reference is {need} digits, "
            f"got {len(serial_reference)}",
        )
    return append_check_digit(body)
