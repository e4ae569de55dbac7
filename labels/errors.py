"""Errors raised by the labels library, each with a stable machine-readable ``code``."""

from __future__ import annotations

# Stable codes a caller (the server, a handheld) may switch on. Add, never rename.
GS1_ERROR_CODES = frozenset(
    {
        "not_digits",  # a numeric field or key holds something other than 0-9
        "key_length",  # a GS1 key (GTIN, GLN, SSCC) has the wrong number of digits
        "sscc_length",  # SSCC parts do not add up to 17 digits, or the company prefix is not 7-10 digits
        "bad_check_digit",  # mod-10 check digit does not match
        "unknown_ai",  # the element string starts with an AI that is not in the table
        "bad_charset",  # a character outside GS1 AI encodable character set 82
        "bad_date",  # a YYMMDD field is not a calendar date
        "bad_length",  # a fixed-length field given with the wrong length when building
        "truncated",  # the data ends inside a fixed-length field, or a field is empty
        "too_long",  # a variable-length field is longer than its maximum
        "empty",  # nothing to parse or build
    }
)


class GS1Error(ValueError):
    """A GS1 rule was broken; ``code`` says which one, ``ai`` names the field when known."""

    def __init__(self, code: str, message: str, *, ai: str | None = None) -> None:
        assert code in GS1_ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.ai = ai

    def __repr__(self) -> str:
        return f"GS1Error({self.code!r}, {str(self)!r}, ai={self.ai!r})"


class SymbolError(ValueError):
    """A payload cannot be encoded in the requested barcode symbology."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
