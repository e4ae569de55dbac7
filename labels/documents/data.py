"""Inputs of the printable documents: frozen records the server (or a later warehouse or courier flow) fills.

Money is integer minor units with a currency (labels.label_data.Money); quantities are integers;
times are what the caller wants printed (the documents never read a clock or convert zones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from labels.label_data import Money


@dataclass(frozen=True, slots=True)
class Organization:
    """A seller, buyer, shipper or consignee as printed: name and, for companies, INN/KPP."""

    name: str
    inn: str = ""
    kpp: str = ""
    address: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class PickLine:
    """One line to pick: from which bin (None: no bin holds it) and which item."""

    sku: str
    name: str
    quantity: int
    unit: str = "pcs"
    item_barcode: str = ""  # the product's own (unit) barcode; the SKU is used when empty
    bin_code: str | None = None  # what people read, e.g. "A-01-2"
    bin_barcode: str | None = None  # what the scanner reads at the bin
    pick_seq: int | None = None  # the bin's place in the walking order


@dataclass(frozen=True, slots=True)
class PickListData:
    """A pick list (лист подбора) for one order; lines are printed in bin walking order."""

    order_number: str
    warehouse: str
    customer: str
    lines: tuple[PickLine, ...]
    delivery_date: dt.date | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class ParcelItem:
    """What a parcel holds of one product; marking codes (Честный ЗНАК) are counted on the list."""

    sku: str
    name: str
    quantity: int
    unit: str = "pcs"
    marking_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Parcel:
    """One parcel (грузовое место) with its SSCC and contents; pallet_sscc when it rides on a pallet."""

    sscc: str
    items: tuple[ParcelItem, ...]
    weight_g: int | None = None
    parcel_id: str = ""
    pallet_sscc: str | None = None


@dataclass(frozen=True, slots=True)
class PackingListData:
    """A packing list (упаковочный лист) for one order: every parcel, its SSCC and what is inside."""

    order_number: str
    date: dt.date
    sender: Organization
    recipient: Organization
    parcels: tuple[Parcel, ...]
    delivery_address: str = ""


@dataclass(frozen=True, slots=True)
class RouteStop:
    """One stop of a route as the courier and the recipient see it on paper."""

    number: int
    order_number: str
    recipient: str
    address: str
    phone: str = ""
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    parcels: tuple[str, ...] = ()  # SSCCs; empty until the order is packed
    payment: str = "prepaid"  # prepaid | cash_on_delivery | card_on_delivery | invoice
    amount_due: Money | None = None  # what the courier collects at the door (COD); None: nothing
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RouteSheetData:
    """A route sheet (маршрутный лист): the route, its courier and vehicle, and the stops in order."""

    route: str
    day: dt.date
    warehouse: str
    courier: str
    stops: tuple[RouteStop, ...]
    courier_phone: str = ""
    vehicle: str = ""


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """A goods line of an invoice or waybill; unit_price is in minor units of the document's currency."""

    sku: str
    name: str
    quantity: int
    unit_price: int
    unit: str = "pcs"


@dataclass(frozen=True, slots=True)
class InvoiceData:
    """An invoice for payment (счёт на оплату)."""

    number: str
    date: dt.date
    seller: Organization
    buyer: Organization
    currency: str
    lines: tuple[DocumentLine, ...]
    due_date: dt.date | None = None
    order_number: str = ""  # printed as the basis: "Заказ № …" / "Order …"
    basis: str = ""  # any further basis, e.g. a contract, printed as given
    payment: str = ""  # payment kind, printed as the terms
    vat_rate: int | None = None  # percent, prices including VAT; None prints "without VAT"


@dataclass(frozen=True, slots=True)
class WaybillData:
    """A consignment note in the layout of ТОРГ-12 (товарная накладная)."""

    number: str
    date: dt.date
    supplier: Organization
    consignee: Organization
    currency: str
    lines: tuple[DocumentLine, ...]
    shipper: Organization | None = None  # None: the supplier ships
    payer: Organization | None = None  # None: the consignee pays
    order_number: str = ""  # printed as the basis: "Заказ № …" / "Order …"
    basis: str = ""
    parcel_count: int | None = None
    vat_rate: int | None = None


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """Where the device was at the door (WGS 84 degrees; accuracy in metres as the phone reported it)."""

    lat: float
    lon: float
    accuracy_m: float | None = None


@dataclass(frozen=True, slots=True)
class ProofOfDeliveryData:
    """A proof of delivery (подтверждение доставки): who received what, when and where, and their signature."""

    order_number: str
    delivered_at: dt.datetime
    recipient_name: str
    parcels: tuple[str, ...]  # SSCCs handed over
    signature_png: bytes | None = None
    geo: GeoPoint | None = None
    customer: str = ""
    address: str = ""
    courier: str = ""
    notes: str = ""
