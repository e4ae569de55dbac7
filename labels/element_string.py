"""Build GS1 element strings from (AI, value) pairs: raw (with GS separators) and human-readable."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labels.errors import GS1Error
from labels.gs1 import validate_key
from labels.gs1_ai import AI_TABLE, needs_separator, validate_value

GS = "\x1d"  # ASCII group separator: how scanners transmit a separating FNC1 (GenSpecs 7.8.5)

Element = tuple[str, str]


def validate_elements(elements: Iterable[Element]) -> tuple[Element, ...]:
    """Check every (AI, value) pair against the AI table and return them as a tuple."""
    checked = []
    for ai, value in elements:
        definition = AI_TABLE.get(ai)
        if definition is None:
            raise GS1Error("unknown_ai", f"unknown AI ({ai})", ai=ai)
        checked.append((ai, validate_value(definition, value)))
    if not checked:
        raise GS1Error("empty", "an element string needs at least one AI")
    return tuple(checked)


def build_element_string(elements: Iterable[Element]) -> str:
    """Return the raw element string: AIs and values, GS after variable-length fields that are not last."""
    return join_checked(validate_elements(elements))


def join_checked(checked: Sequence[Element]) -> str:
    """Return the raw element string of pairs already checked (by validate_elements or parse_gs1)."""
    parts = []
    last = len(checked) - 1
    for i, (ai, value) in enumerate(checked):
        parts.append(ai + value)
        # GenSpecs 7.8.5: FNC1 separates an element string of non-predefined length from the next one.
        if i != last and needs_separator(ai):
            parts.append(GS)
    return "".join(parts)


def bracketed(elements: Iterable[Element]) -> str:
    """Return the "[01]…[21]…" form that zint-based encoders take for GS1 input."""
    return "".join(f"[{ai}]{value}" for ai, value in validate_elements(elements))


def human_readable(elements: Iterable[Element]) -> str:
    """Return the human-readable interpretation, e.g. "(00) 106141411234567897" (GenSpecs 4.15)."""
    return human_readable_checked(validate_elements(elements))


def human_readable_checked(checked: Sequence[Element]) -> str:
    """Return the human-readable interpretation of pairs already checked."""
    return " ".join(f"({ai}) {value}" for ai, value in checked)


def sscc_display(sscc: str, company_prefix_length: int | None = None) -> str:
    """Return an SSCC for people: "(00) 1 0614141 123456789 7" when the prefix length is known."""
    return sscc_display_checked(validate_key(sscc, "sscc"), company_prefix_length)


def sscc_display_checked(sscc: str, company_prefix_length: int | None = None) -> str:
    """Return an SSCC already checked by validate_key in the form people read (see sscc_display)."""
    if company_prefix_length is None:
        return f"(00) {sscc}"
    if not 7 <= company_prefix_length <= 10:
        raise GS1Error("sscc_length", f"a GS1 Company Prefix is 7-10 digits, got {company_prefix_length}")
    # GS1 Logistic Label Guideline 4.2: extension digit, company prefix, serial reference, check digit.
    cut = 1 + company_prefix_length
    return f"(00) {sscc[0]} {sscc[1:cut]} {sscc[cut:17]} {sscc[17]}"


def element_string_length(elements: Sequence[Element]) -> int:
    """Return the number of data characters in the raw string (GenSpecs 5.4.1: GS1-128 holds at most 48)."""
    return len(build_element_string(elements))
