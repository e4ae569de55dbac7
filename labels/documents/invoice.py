"""Invoice for payment (счёт на оплату): seller and buyer with INN/KPP, lines, totals, due date."""

from __future__ import annotations

from labels.documents.amounts import line_amounts, total_amounts
from labels.documents.data import InvoiceData
from labels.documents.formatting import date_text, money_text, number_text
from labels.documents.model import Column, Document, Fields, Paragraph, Row, Signatures, Table, Title, Totals
from labels.documents.parties import basis_text, party_text
from labels.documents.strings import payment_name, strings, unit_name
from labels.label_data import Money

WIDTHS = (8.0, 28.0, 70.0, 18.0, 12.0, 25.0, 25.0)  # portrait: 186 mm


def invoice(data: InvoiceData, lang: str) -> Document:
    """Lay out an invoice for payment."""
    s = strings(lang)

    def money(minor: int) -> str:
        return money_text(Money(minor, data.currency), lang)

    amounts = [line_amounts(line, data.vat_rate) for line in data.lines]
    total = total_amounts(amounts)
    fields = [(s["invoice.seller"], party_text(data.seller, lang)), (s["invoice.buyer"], party_text(data.buyer, lang))]
    basis = basis_text(data.order_number, data.basis, lang)
    if basis:
        fields.append((s["basis"], basis))
    if data.payment:
        fields.append((s["invoice.payment"], payment_name(data.payment, lang)))
    if data.due_date:
        fields.append((s["invoice.due_date"], date_text(data.due_date, lang)))
    columns = (
        Column(s["no"], WIDTHS[0], "right"),
        Column(s["sku"], WIDTHS[1]),
        Column(s["item"], WIDTHS[2]),
        Column(s["qty"], WIDTHS[3], "right"),
        Column(s["unit"], WIDTHS[4]),
        Column(s["price"], WIDTHS[5], "right"),
        Column(s["amount"], WIDTHS[6], "right"),
    )
    rows = tuple(
        Row((str(n), line.sku, line.name, number_text(line.quantity, lang), unit_name(line.unit, lang),
             money(line.unit_price), money(amount.gross)))  # fmt: skip
        for n, (line, amount) in enumerate(zip(data.lines, amounts, strict=True), start=1)
    )
    vat = (
        (s["invoice.vat_included"].format(rate=data.vat_rate), money(total.vat))
        if data.vat_rate is not None
        else (s["invoice.no_vat"], s["none"])
    )
    title = s["invoice.title"].format(number=data.number, date=date_text(data.date, lang))
    return Document(
        title=title,
        lang=lang,
        blocks=(
            Title(title),
            Fields(tuple(fields)),
            Table(columns, rows),
            Totals(((s["total"], money(total.gross)), vat, (s["invoice.amount_due"], money(total.gross)))),
            Paragraph(s["invoice.summary"].format(count=number_text(len(data.lines), lang), amount=money(total.gross))),
            Signatures((s["invoice.director"], s["invoice.accountant"]), (s["signature"], s["full_name"]), s["stamp"]),
        ),
    )
