"""Consignment note in the layout of ТОРГ-12: parties, a table of lines with VAT columns, totals, signatures."""

from __future__ import annotations

from labels.documents.amounts import line_amounts, total_amounts
from labels.documents.data import WaybillData
from labels.documents.formatting import date_text, money_text, number_text
from labels.documents.model import Column, Document, Fields, Paragraph, Row, Signatures, Table, Title
from labels.documents.parties import basis_text, party_text
from labels.documents.strings import strings, unit_name
from labels.label_data import Money

# Landscape, as the form is printed: 273 mm between the margins.
WIDTHS = (8.0, 85.0, 28.0, 14.0, 18.0, 24.0, 28.0, 16.0, 24.0, 28.0)


def waybill(data: WaybillData, lang: str) -> Document:
    """Lay out a ТОРГ-12-style consignment note (товарная накладная)."""
    s = strings(lang)

    def money(minor: int) -> str:
        return money_text(Money(minor, data.currency), lang)

    amounts = [line_amounts(line, data.vat_rate) for line in data.lines]
    total = total_amounts(amounts)
    rate = s["waybill.no_vat"] if data.vat_rate is None else f"{data.vat_rate}%"
    vat = (lambda minor: s["none"]) if data.vat_rate is None else money
    fields = (
        (s["waybill.shipper"], party_text(data.shipper or data.supplier, lang)),
        (s["waybill.consignee"], party_text(data.consignee, lang)),
        (s["waybill.supplier"], party_text(data.supplier, lang)),
        (s["waybill.payer"], party_text(data.payer or data.consignee, lang)),
    )
    basis = basis_text(data.order_number, data.basis, lang)
    if basis:
        fields += ((s["basis"], basis),)
    columns = (
        Column(s["no"], WIDTHS[0], "right"),
        Column(s["waybill.item"], WIDTHS[1]),
        Column(s["waybill.code"], WIDTHS[2]),
        Column(s["unit"], WIDTHS[3]),
        Column(s["qty"], WIDTHS[4], "right"),
        Column(s["price"], WIDTHS[5], "right"),
        Column(s["waybill.amount_net"], WIDTHS[6], "right"),
        Column(s["waybill.vat_rate"], WIDTHS[7], "right"),
        Column(s["waybill.vat"], WIDTHS[8], "right"),
        Column(s["waybill.amount_gross"], WIDTHS[9], "right"),
    )
    rows = [
        Row((str(n), line.name, line.sku, unit_name(line.unit, lang), number_text(line.quantity, lang),
             money(line.unit_price), money(a.net), rate, vat(a.vat), money(a.gross)))  # fmt: skip
        for n, (line, a) in enumerate(zip(data.lines, amounts, strict=True), start=1)
    ]
    quantity = sum(line.quantity for line in data.lines)
    rows.append(
        Row(("", s["total"], "", "", number_text(quantity, lang), "", money(total.net), "", vat(total.vat),
             money(total.gross)), strong=True)  # fmt: skip
    )
    after = []
    if data.parcel_count is not None:
        after.append(Paragraph(f"{s['waybill.parcels']}: {number_text(data.parcel_count, lang)}"))
    after.append(
        Paragraph(s["waybill.released_total"].format(count=number_text(len(data.lines), lang), amount=money(total.gross)), True)
    )
    title = s["waybill.title"].format(number=data.number, date=date_text(data.date, lang))
    roles = ("waybill.release_allowed", "waybill.chief_accountant", "waybill.released_by", "waybill.accepted_by",
             "waybill.received_by")  # fmt: skip
    return Document(
        title=title,
        lang=lang,
        landscape=True,
        blocks=(
            Paragraph(s["waybill.form"]),
            Title(title),
            Fields(fields),
            Table(columns, tuple(rows)),
            *after,
            Signatures(tuple(s[r] for r in roles), (s["signature"], s["full_name"]), s["stamp"]),
        ),
    )
