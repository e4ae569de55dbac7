"""Wire structs for customers, their contacts and delivery addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.wire.common import ShortText

Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9 ()-]{5,20}$")]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+$", max_length=200)]


class Contact(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: ShortText
    role: ShortText = ""
    phone: Phone | None = None
    email: Email | None = None


class Address(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    label: Annotated[str, msgspec.Meta(max_length=100)] = ""
    city: Annotated[str, msgspec.Meta(max_length=100)] = ""
    postal_code: Annotated[str, msgspec.Meta(max_length=16)] = ""


class Identity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A private buyer's identity document, as the TORG-26 order form asks for it."""

    document: Annotated[str, msgspec.Meta(max_length=50)]  # e.g. "passport"
    number: Annotated[str, msgspec.Meta(max_length=50)]
    issued_by: Annotated[str, msgspec.Meta(max_length=300)] = ""
    issued_on: str = ""


class CustomerWrite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Create a customer, or replace its data."""

    kind: Literal["company", "person", "internal"]
    name: ShortText
    inn: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{10}([0-9]{2})?$")] | None = None
    kpp: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$")] | None = None
    legal_address: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    department: ShortText | None = None
    identity: Identity | None = None
    contacts: Annotated[list[Contact], msgspec.Meta(max_length=50)] = []
    addresses: Annotated[list[Address], msgspec.Meta(max_length=50)] = []


class AddressRead(msgspec.Struct, frozen=True):
    id: int
    text: str
    label: str
    city: str
    postal_code: str


class Customer(msgspec.Struct, frozen=True):
    id: int
    kind: str
    name: str
    inn: str | None
    kpp: str | None
    legal_address: str | None
    phone: str | None
    email: str | None
    department: str | None
    identity: Identity | None
    contacts: list[Contact]
    addresses: list[AddressRead]
    updated_at: datetime


class CustomerPage(msgspec.Struct, frozen=True):
    items: list[Customer]
    next: str | None
