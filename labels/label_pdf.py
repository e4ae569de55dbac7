"""Render many labels onto A4 PDF sheets for office printers (fpdf2, with Roboto embedded for Cyrillic).

fpdf2 over reportlab: pure Python with one dependency (fontTools), actively released, subsets and
embeds TTF fonts with a ToUnicode map, so Cyrillic text can be both printed and extracted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fpdf import FPDF

from labels.fonts import font_path
from labels.layout import Barcode, Label, Line, Text

_DARK_RUN = re.compile(r"1+")
A4 = (210.0, 297.0)


def _draw_barcode(pdf: FPDF, item: Barcode, ox: float, oy: float) -> None:
    symbol = item.symbol
    height = item.bar_height if symbol.linear else item.module
    for y, row in enumerate(symbol.rows):
        top = oy + item.y + y * height
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            pdf.rect(ox + item.x + start * item.module, top, (end - start) * item.module, height, style="F")


def _draw_label(pdf: FPDF, label: Label, ox: float, oy: float) -> None:
    pdf.set_draw_color(200)
    pdf.set_line_width(0.1)
    pdf.rect(ox, oy, label.width, label.height)  # a light cut line around each label
    pdf.set_draw_color(0)
    for item in label.items:
        if isinstance(item, Text):
            if item.text:
                # fpdf2 font sizes are points; the layout's sizes are mm (1 pt = 25.4/72 mm).
                pdf.set_font("Roboto", "B" if item.bold else "", item.size * 72 / 25.4)
                pdf.text(ox + item.x, oy + item.y, item.text)
        elif isinstance(item, Line):
            pdf.set_line_width(item.width)
            pdf.line(ox + item.x1, oy + item.y1, ox + item.x2, oy + item.y2)
        elif isinstance(item, Barcode):
            _draw_barcode(pdf, item, ox, oy)


def render_labels_pdf(labels: Sequence[Label], margin: float = 4.0, gap: float = 2.0) -> bytes:
    """Lay labels out row by row on A4 pages (as many as fit), returning the PDF bytes."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("Roboto", "", str(font_path(False)))
    pdf.add_font("Roboto", "B", str(font_path(True)))
    pdf.set_fill_color(0)
    x = y = margin
    row_height = 0.0
    pdf.add_page()
    for label in labels:
        if x + label.width > A4[0] - margin + 1e-6:  # next row
            x, y, row_height = margin, y + row_height + gap, 0.0
        if y + label.height > A4[1] - margin + 1e-6:  # next page
            pdf.add_page()
            x = y = margin
            row_height = 0.0
        _draw_label(pdf, label, x, y)
        x += label.width + gap
        row_height = max(row_height, label.height)
    return bytes(pdf.output())
