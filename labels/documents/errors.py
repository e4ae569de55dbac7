"""The one error the document renderers raise, with a stable ``code`` a caller may switch on."""

from __future__ import annotations

# Add, never rename.
DOCUMENT_ERROR_CODES = frozenset(
    {
        "unknown_language",  # lang is not a key of the strings table
        "unknown_format",  # not "html" or "pdf"
        "unknown_document",  # no layout for this data type
        "not_png",  # an embedded image (a signature) is not a PNG file
    }
)


class DocumentError(ValueError):
    """A document cannot be rendered as asked; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        assert code in DOCUMENT_ERROR_CODES, code
        super().__init__(message)
        self.code = code
