"""Product label, 58×40 mm: name, price and the EAN-13."""

from __future__ import annotations

from labels.errors import GS1Error
from labels.gs1 import normalize_gtin
from labels.label_data import ProductLabelData
from labels.layout import Barcode, Label
from labels.symbols import encode_symbol
from labels.templates.text_box import text_box, two_lines
from labels.text_format import money_text


def product_label(data: ProductLabelData) -> Label:
    """Lay out a product label; the GTIN must be a valid GTIN-13 (or GTIN-14 with a leading zero)."""
    gtin14 = normalize_gtin(data.gtin)  # raises GS1Error for letters or a wrong check digit
    if gtin14[0] != "0":
        # GenSpecs 5.2.1: EAN-13 carries GTIN-8/12/13 only; a GTIN-14 with an indicator digit does not fit.
        raise GS1Error("key_length", f"an EAN-13 cannot carry GTIN-14 {gtin14}")
    symbol = encode_symbol("ean13", gtin14[1:])
    # GenSpecs 5.2.3.4: X = 0.33 mm is nominal; 0.3 mm (91 %, within the 80-200 % range) keeps 113 modules inside 34 mm.
    module = 0.3
    x = (58 - symbol.width * module) / 2 + symbol.quiet_left * module
    first, second = two_lines(data.name, 3.0, 54, bold=True)
    items = [
        text_box(2, 5, 3.0, first, 54, bold=True),
        text_box(2, 9, 3.0, second, 54, bold=True),
        text_box(2, 16, 6.0, money_text(data.price), 54, bold=True),
        Barcode(symbol, x, 18.5, module, 16.0),
        text_box(x, 38.5, 2.6, symbol.payload, 40),
    ]
    return Label("product_58x40", 58, 40, tuple(items))
