"""Pick list (лист подбора): the order's lines in bin walking order, a Code 128 per bin and per item."""

from __future__ import annotations

from labels.documents.data import PickLine, PickListData
from labels.documents.formatting import date_text, number_text
from labels.documents.model import (
    CELL_PADDING,
    Code,
    Column,
    Document,
    Fields,
    Row,
    Signatures,
    Table,
    Title,
    code128,
)
from labels.documents.strings import strings, unit_name

WIDTHS = (8.0, 22.0, 36.0, 44.0, 44.0, 16.0, 16.0)  # mm; sum = the portrait usable width, 186 mm


def walking_order(line: PickLine) -> tuple:
    """Sort key: by the bin's pick sequence, lines without a bin last (someone must find them)."""
    return (line.pick_seq is None, line.pick_seq or 0, line.bin_code or "", line.sku)


def _barcode_cell(payload: str | None, width: float) -> Code | str:
    if not payload:
        return ""
    # A payload Code 128 cannot carry (or too long for the column) prints as text for manual entry.
    return code128(payload, width - 2 * CELL_PADDING) or payload


def pick_list(data: PickListData, lang: str) -> Document:
    """Lay out a pick list for one order."""
    s = strings(lang)
    lines = sorted(data.lines, key=walking_order)
    units = sum(line.quantity for line in lines)
    fields = [(s["order"], data.order_number), (s["warehouse"], data.warehouse), (s["customer"], data.customer)]
    if data.delivery_date:
        fields.append((s["delivery_date"], date_text(data.delivery_date, lang)))
    fields.append((s["pick_list.summary"], f"{number_text(len(lines), lang)} / {number_text(units, lang)}"))
    if data.notes:
        fields.append((s["notes"], data.notes))
    columns = (
        Column(s["no"], WIDTHS[0], "right"),
        Column(s["pick_list.bin"], WIDTHS[1]),
        Column(s["pick_list.bin_barcode"], WIDTHS[2]),
        Column(s["item"], WIDTHS[3]),
        Column(s["pick_list.item_barcode"], WIDTHS[4]),
        Column(s["qty"], WIDTHS[5], "right"),
        Column(s["pick_list.picked"], WIDTHS[6], "right"),
    )
    rows = tuple(
        Row((
            str(n),
            line.bin_code or s["pick_list.no_bin"],
            _barcode_cell(line.bin_barcode, WIDTHS[2]),
            f"{line.sku}\n{line.name}",
            _barcode_cell(line.item_barcode or line.sku, WIDTHS[4]),
            f"{number_text(line.quantity, lang)} {unit_name(line.unit, lang)}",
            "",
        ))
        for n, line in enumerate(lines, start=1)
    )  # fmt: skip
    title = s["pick_list.title"].format(number=data.order_number)
    return Document(
        title=title,
        lang=lang,
        blocks=(
            Title(title, code128(data.order_number, 70, 10)),
            Fields(tuple(fields)),
            Table(columns, rows),
            Signatures((s["pick_list.picked_by"], s["pick_list.checked_by"]), (s["signature"], s["full_name"])),
        ),
    )
