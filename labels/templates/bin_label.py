"""Bin location (ячейка) label, 80×40 mm: the location code large and as Code 128 for the picker's scan."""

from __future__ import annotations

from labels.label_data import BinLabelData
from labels.layout import Barcode, Label
from labels.symbols import encode_symbol
from labels.templates.text_box import text_box


def bin_label(data: BinLabelData) -> Label:
    """Lay out a bin label: warehouse and zone, the location code as text and as Code 128."""
    symbol = encode_symbol("code128", data.location)
    # Fit the symbol into 72 mm; a 0.25-0.5 mm X-dimension keeps it readable from a handheld at arm's length.
    module = max(0.25, min(0.5, 72.0 / symbol.width))
    x = (80 - symbol.width * module) / 2 + symbol.quiet_left * module
    items = [
        text_box(3, 6, 3.0, " · ".join(p for p in (data.warehouse, data.zone) if p), 74),
        text_box(3, 16, 9.0, data.location, 74, bold=True),
        Barcode(symbol, x, 20, module, 16.0),
    ]
    return Label("bin_80x40", 80, 40, tuple(items))
