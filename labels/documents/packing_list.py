"""Packing list (упаковочный лист): every parcel of an order with its SSCC as GS1-128 and its contents."""

from __future__ import annotations

from labels.documents.data import PackingListData, Parcel
from labels.documents.formatting import date_text, number_text, weight_text
from labels.documents.model import (
    Column,
    Document,
    Fields,
    Figure,
    Heading,
    Row,
    Signatures,
    Table,
    Title,
    code128,
    sscc_code,
)
from labels.documents.parties import party_text
from labels.documents.strings import strings, unit_name

WIDTHS = (8.0, 34.0, 96.0, 24.0, 24.0)  # portrait: 186 mm
SSCC_WIDTH = 70.0  # 176 modules at about 0.33 mm plus quiet zones (GenSpecs 5.12.3.1 asks ≥ 0.495 mm on
# a logistic label; this is a list for people, the parcel label carries the full-size symbol)


def _parcel_blocks(parcel: Parcel, n: int, count: int, lang: str) -> tuple:
    s = strings(lang)
    details = []
    if parcel.weight_g is not None:
        details.append((s["packing_list.parcel_weight"], weight_text(parcel.weight_g, lang)))
    if parcel.pallet_sscc:
        details.append((s["packing_list.pallet"], parcel.pallet_sscc))
    code = sscc_code(parcel.sscc, SSCC_WIDTH)
    columns = (
        Column(s["no"], WIDTHS[0], "right"),
        Column(s["sku"], WIDTHS[1]),
        Column(s["item"], WIDTHS[2]),
        Column(s["qty"], WIDTHS[3], "right"),
        Column(s["packing_list.marking_codes"], WIDTHS[4], "right"),
    )
    rows = tuple(
        Row((str(i), item.sku, item.name, f"{number_text(item.quantity, lang)} {unit_name(item.unit, lang)}",
             number_text(len(item.marking_codes), lang) if item.marking_codes else s["none"]))  # fmt: skip
        for i, item in enumerate(parcel.items, start=1)
    )
    return (
        Heading(s["packing_list.parcel"].format(n=n, count=count)),
        Figure("SSCC", code or parcel.sscc),  # a malformed SSCC prints as text, never as a wrong symbol
        *((Fields(tuple(details)),) if details else ()),
        Table(columns, rows),
    )


def packing_list(data: PackingListData, lang: str) -> Document:
    """Lay out the packing list of one order."""
    s = strings(lang)
    count = len(data.parcels)
    weights = [p.weight_g for p in data.parcels]
    fields = [
        (s["date"], date_text(data.date, lang)),
        (s["packing_list.sender"], party_text(data.sender, lang)),
        (s["packing_list.recipient"], party_text(data.recipient, lang)),
    ]
    if data.delivery_address:
        fields.append((s["packing_list.delivery_address"], data.delivery_address))
    fields.append((s["packing_list.parcels"], number_text(count, lang)))
    if weights and None not in weights:
        fields.append((s["packing_list.weight"], weight_text(sum(weights), lang)))
    parcels = tuple(
        block for n, parcel in enumerate(data.parcels, start=1) for block in _parcel_blocks(parcel, n, count, lang)
    )
    title = s["packing_list.title"].format(number=data.order_number)
    return Document(
        title=title,
        lang=lang,
        blocks=(
            Title(title, code128(data.order_number, 70, 10)),
            Fields(tuple(fields)),
            *parcels,
            Signatures((s["packing_list.packed_by"], s["packing_list.checked_by"]), (s["signature"], s["full_name"])),
        ),
    )
