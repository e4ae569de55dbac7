"""Inputs of the label templates: frozen records the server maps its own rows onto."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (kopecks, cents) with an ISO 4217 currency code; never a float."""

    minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Party:
    """A sender or recipient as printed: name, one address line, phone."""

    name: str
    address: str
    phone: str = ""


@dataclass(frozen=True, slots=True)
class ParcelLabelData:
    """One parcel (грузовое место) of an order, for the shipping labels."""

    sscc: str
    parcel_id: str
    sender: Party
    recipient: Party
    window_from: dt.datetime
    window_to: dt.datetime
    parcel_number: int
    parcel_count: int
    weight_g: int
    order_number: str
    route: str
    stop: int
    cod: Money | None = None
    company_prefix_length: int | None = None  # splits the SSCC for people when known


@dataclass(frozen=True, slots=True)
class BinLabelData:
    """A storage location (ячейка) label: warehouse, zone and the location code that pickers scan."""

    location: str
    warehouse: str
    zone: str = ""


@dataclass(frozen=True, slots=True)
class ProductLabelData:
    """A shelf or item label: EAN-13 GTIN, product name and price."""

    gtin: str
    name: str
    price: Money


@dataclass(frozen=True, slots=True)
class EnrollmentCardData:
    """A device enrollment card: the QR payload a handheld scans and the same one-time code as text."""

    payload: str
    code: str
    role: str
    expires_at: dt.datetime
