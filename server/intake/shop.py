"""The order a shop sends to `POST /api/intake/orders`, and the customer it names.

    {
      "external_id": "web-100045",                 # the shop's own order id: the idempotency key
      "customer": {"name": "Иван Петров", "phone": "+7 915 000-00-00", "email": "ivan@example.com",
                   "inn": null, "kpp": null, "kind": null},   # kind: person | company; null: a company
                                                               # when an INN is given, else a person
      "lines": [{"sku": "SKU-00012", "barcode": null, "text": "Болт М8х40 оцинк.", "quantity": 10,
                 "price": 1250}],                  # price: minor units (kopecks) the shop charged;
                                                   # null: the catalog price
      "currency": "RUB",
      "delivery": {"address": "Москва, ул. Ленина, 1", "date": "2026-11-05", "start": "10:00", "end": "14:00"},
      "payment": {"kind": "prepaid", "due_days": 0},   # prepaid | cash_on_delivery | card_on_delivery | invoice
      "notes": "позвонить за час"
    }

Fields the shop adds beyond these are ignored. A line needs a quantity and at least one of sku,
barcode and text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

import msgspec

from server.domain.customers import CustomerKind, validate_customer
from server.domain.refusals import Refused


class ShopCustomer(msgspec.Struct, frozen=True):
    name: str = ""
    kind: Literal["person", "company"] | None = None
    inn: str | None = None
    kpp: str | None = None
    phone: str | None = None
    email: str | None = None


class ShopLine(msgspec.Struct, frozen=True):
    quantity: int | float | str | None = None  # checked per line, so one bad line does not hide the rest
    sku: str | None = None
    barcode: str | None = None
    text: str | None = None
    price: int | None = None


class ShopDelivery(msgspec.Struct, frozen=True):
    address: str | None = None
    date: dt.date | None = None
    start: str | None = None  # "10:00" or "10:00:00"
    end: str | None = None

    def window(self) -> tuple[dt.time | None, dt.time | None]:
        """The window's times, or a refusal naming the one that is not a time of day."""
        times = []
        for name, value in (("start", self.start), ("end", self.end)):
            try:
                times.append(dt.time.fromisoformat(value) if value else None)
            except ValueError as error:
                raise Refused("invalid_payload", f"delivery {name} {value!r} is not a time of day (HH:MM)") from error
        return times[0], times[1]


class ShopPayment(msgspec.Struct, frozen=True):
    kind: Literal["prepaid", "cash_on_delivery", "card_on_delivery", "invoice"] = "prepaid"
    due_days: int = 0


class ShopOrder(msgspec.Struct, frozen=True):
    external_id: str
    customer: ShopCustomer
    lines: list[ShopLine]
    currency: str | None = None
    delivery: ShopDelivery | None = None
    payment: ShopPayment = ShopPayment()
    notes: str = ""


def external_id_of(raw: bytes) -> str | None:
    """The sender's id from a body that may be broken otherwise (so a broken order is still keyed)."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    value = body.get("external_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def parse_order(raw: bytes) -> ShopOrder:
    """Decode a shop's order, or refuse with where it is malformed."""
    try:
        return msgspec.json.decode(raw, type=ShopOrder)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise Refused("invalid_payload", f"the order is malformed: {error}") from error


def line_quantity(value: int | float | str | None) -> tuple[int | None, str | None]:
    """A line's quantity as a positive whole number, or the reason it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "quantity is missing"
    if isinstance(value, str):
        if not re.fullmatch(r"\s*\d+\s*", value):
            return None, f"quantity {value!r} is not a whole number"
        value = int(value)
    if isinstance(value, float):
        if not value.is_integer():
            return None, f"quantity {value} is not a whole number"
        value = int(value)
    if value <= 0:
        return None, f"quantity {value} must be positive"
    if value > 10**9:
        return None, f"quantity {value} is too large"
    return value, None


def phone_digits(phone: str | None) -> str | None:
    """The last ten digits of a Russian-style phone number (+7 915 ..., 8 915 ..., 915 ...)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else None


def new_customer_columns(spec: ShopCustomer) -> dict:
    """The columns of a customer made from a shop's order, or a refusal saying what is missing."""
    kind = spec.kind or (CustomerKind.COMPANY if spec.inn else CustomerKind.PERSON)
    if len(spec.phone or "") > 32 or len(spec.email or "") > 200:
        raise Refused("customer_unknown", "the customer's phone or email is too long to keep")
    name = " ".join(spec.name.split())
    if not name:
        raise Refused("customer_unknown", "no existing customer has this INN, phone or email, and no name is given to create one")
    try:
        validate_customer(kind, name, spec.inn, spec.kpp, spec.phone, None)
    except Refused as refusal:
        raise Refused(
            "customer_unknown", f"no existing customer matches, and a new one cannot be made: {refusal.message}"
        ) from refusal
    return {"kind": str(kind), "name": name[:300], "inn": spec.inn, "kpp": spec.kpp, "phone": spec.phone,
            "email": spec.email}  # fmt: skip
