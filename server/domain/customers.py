"""Customers of three kinds and the Russian tax-number rules that identify companies."""

from __future__ import annotations

from enum import StrEnum

from server.domain.refusals import Refused


class CustomerKind(StrEnum):
    COMPANY = "company"  # a legal entity: name, INN, KPP, legal address
    PERSON = "person"  # a private buyer: name, phone, identity data as the TORG-26 form asks
    INTERNAL = "internal"  # a department, shop or branch of the company itself


# FNS check-digit weights for INN (taxpayer number): 10 digits for organisations, 12 for persons.
_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    """Check an INN's length and check digit(s)."""
    if not inn.isdigit():
        return False
    if len(inn) == 10:
        return _inn_digit(inn, _INN10) == int(inn[9])
    if len(inn) == 12:
        return _inn_digit(inn, _INN12_11) == int(inn[10]) and _inn_digit(inn, _INN12_12) == int(inn[11])
    return False


def kpp_is_valid(kpp: str) -> bool:
    """A KPP's shape: NNNNPPNNN (the tax office, the reason code, a number)."""
    return len(kpp) == 9 and kpp[:4].isdigit() and kpp[6:].isdigit()


def complete_inn10(first9: str) -> str:
    """Append the check digit to a 9-digit organisation INN stem."""
    return first9 + str(_inn_digit(first9, _INN10))


def validate_customer(
    kind: str, name: str, inn: str | None, kpp: str | None, phone: str | None, department: str | None
) -> None:
    """Refuse a customer whose kind-specific data is missing or malformed."""
    if kind not in CustomerKind.__members__.values():
        raise Refused("customer_kind_invalid", "kind must be company, person or internal")
    if not name.strip():
        raise Refused("customer_name_required", "a customer needs a name")
    if inn is not None and not inn_is_valid(inn):
        raise Refused("inn_invalid", f"INN {inn!r} fails its length or check digit")
    if kpp is not None and not kpp_is_valid(kpp):
        raise Refused("kpp_invalid", f"KPP {kpp!r} must be 9 characters (NNNNPPNNN)")
    if kind == CustomerKind.COMPANY:
        if inn is None or len(inn) != 10 and len(inn) != 12:
            raise Refused("inn_required", "a company needs an INN")
    elif kind == CustomerKind.PERSON:
        if not phone:
            raise Refused("phone_required", "a private customer needs a phone number")
    elif kind == CustomerKind.INTERNAL:
        if not department:
            raise Refused("department_required", "an internal customer names its department, shop or branch")
