"""Render a Document as an A4 PDF with fpdf2: Roboto embedded (Cyrillic, ₽, №), barcodes drawn as vector bars.

The renderer lays out block by block and breaks pages itself, so a table row is never split and a
table's header repeats on every page it continues on.
"""

from __future__ import annotations

import io
import re

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from labels.documents.model import (
    CELL_PADDING,
    MARGIN,
    Code,
    Document,
    Fields,
    Figure,
    Heading,
    Paragraph,
    Picture,
    Signatures,
    Table,
    Title,
    Totals,
)
from labels.fonts import font_path
from labels.text_format import ELLIPSIS

PT = 25.4 / 72  # mm per point
PAD = CELL_PADDING
BODY, SMALL, HEAD, TITLE = 9.0, 7.5, 11.5, 14.0  # font sizes, pt
MAX_CELL_CHARS = 600  # a row must fit a page: longer text in one cell is cut by the truncation rule
_DARK_RUN = re.compile(r"1+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_ALIGN = {"left": "L", "right": "R", "center": "C"}


def _cut(text: str) -> str:
    """The truncation rule for a cell: keep MAX_CELL_CHARS - 1 characters and add "…" (line breaks kept)."""
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1].rstrip() + ELLIPSIS


def _clean(text: str) -> str:
    # Control characters would reach the content stream as is; a tab or NUL is no use on paper.
    return _CONTROL.sub(" ", text)


def _line_height(size: float) -> float:
    return size * PT * 1.25


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-MARGIN + 3)
        self.set_font("Roboto", "", SMALL)
        self.set_text_color(90)
        self.cell(0, 4, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


class _Writer:
    """Keeps the cursor (y) and starts a new page when a block does not fit."""

    def __init__(self, doc: Document) -> None:
        pdf = _Pdf(orientation="L" if doc.landscape else "P", unit="mm", format="A4")
        pdf.footer_text = _clean(doc.title)
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.add_font("Roboto", "", str(font_path(False)))
        pdf.add_font("Roboto", "B", str(font_path(True)))
        pdf.set_title(_clean(doc.title))
        pdf.set_lang(doc.lang)
        pdf.set_creator("Tally")
        pdf.set_fill_color(0)
        pdf.add_page()
        self.pdf = pdf
        self.width = pdf.w - 2 * MARGIN
        self.bottom = pdf.h - MARGIN - 4  # room for the footer
        self.y = MARGIN

    # measuring and drawing primitives

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font("Roboto", "B" if bold else "", size)

    def text_height(self, text: str, width: float, size: float, bold: bool = False) -> float:
        if not text:
            return 0.0
        self.font(size, bold)
        lines = self.pdf.multi_cell(width, _line_height(size), _clean(text), dry_run=True, output="LINES")
        return len(lines) * _line_height(size)

    def text(self, x: float, y: float, width: float, text: str, size: float, bold: bool = False, align: str = "left") -> None:
        if not text:
            return
        self.font(size, bold)
        self.pdf.set_xy(x, y)
        self.pdf.multi_cell(
            width, _line_height(size), _clean(text), align=_ALIGN[align], new_x=XPos.LEFT, new_y=YPos.NEXT
        )

    def fits(self, height: float) -> bool:
        return self.y + height <= self.bottom

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if not self.fits(height) and self.y > MARGIN:
            self.pdf.add_page()
            self.y = MARGIN

    def code_height(self, code: Code) -> float:
        return code.height + (3.2 if code.text else 0.0)

    def draw_code(self, code: Code, x: float, y: float) -> None:
        symbol, module = code.symbol, code.module
        left = x + symbol.quiet_left * module
        top = y + symbol.quiet_vertical * module
        row_height = code.bar_height if symbol.linear else module
        for row_index, row in enumerate(symbol.rows):
            for run in _DARK_RUN.finditer(row):
                start, end = run.span()
                self.pdf.rect(left + start * module, top + row_index * row_height, (end - start) * module, row_height, style="F")
        if code.text:
            self.text(x, y + code.height + 0.2, code.width, code.text, 6.5, align="center")

    def draw_picture(self, picture: Picture, x: float, y: float) -> None:
        self.pdf.image(io.BytesIO(picture.png), x=x, y=y, w=picture.width, h=picture.height)

    # blocks

    def title(self, block: Title) -> None:
        code_width = block.code.width + 4 if block.code else 0.0
        text_width = self.width - code_width
        height = max(self.text_height(block.text, text_width, TITLE, True), self.code_height(block.code) if block.code else 0)
        self.need(height)
        self.text(MARGIN, self.y, text_width, block.text, TITLE, True)
        if block.code:
            self.draw_code(block.code, MARGIN + self.width - block.code.width, self.y)
        self.y += height + 3

    def heading(self, block: Heading) -> None:
        height = self.text_height(block.text, self.width, HEAD, True)
        self.need(height + 12)  # keep a heading with at least a line of what follows
        self.y += 2
        self.text(MARGIN, self.y, self.width, block.text, HEAD, True)
        self.y += height + 1.5

    def paragraph(self, block: Paragraph) -> None:
        height = self.text_height(block.text, self.width, BODY, block.strong)
        self.need(height)
        self.text(MARGIN, self.y, self.width, block.text, BODY, block.strong)
        self.y += height + 2

    def pairs(self, items: tuple[tuple[str, str], ...], x: float, label_width: float, value_width: float,
              bold: bool = False, value_align: str = "left") -> None:  # fmt: skip
        for label, value in items:
            value = _cut(value)
            height = max(self.text_height(label, label_width, BODY, bold), self.text_height(value or " ", value_width, BODY, bold))
            self.need(height)
            self.pdf.set_text_color(70)
            self.text(x, self.y, label_width, label, BODY, bold)
            self.pdf.set_text_color(0)
            self.text(x + label_width, self.y, value_width, value, BODY, bold, value_align)
            self.y += height + 0.8

    def fields(self, block: Fields) -> None:
        label_width = min(55.0, 4 + max((self._width_of(label, BODY) for label, _ in block.items), default=0))
        self.pairs(block.items, MARGIN, label_width, self.width - label_width)
        self.y += 2

    def totals(self, block: Totals) -> None:
        label_width = 4 + max((self._width_of(label, BODY, True) for label, _ in block.items), default=0)
        value_width = 4 + max((self._width_of(value, BODY, True) for _, value in block.items), default=0)
        x = MARGIN + self.width - label_width - value_width
        self.pairs(block.items, x, label_width, value_width, bold=True, value_align="right")
        self.y += 2

    def _width_of(self, text: str, size: float, bold: bool = False) -> float:
        self.font(size, bold)
        return self.pdf.get_string_width(_clean(text))

    def _cell_height(self, cell: str | Code | Picture, width: float, strong: bool) -> float:
        if isinstance(cell, Code):
            return self.code_height(cell)
        if isinstance(cell, Picture):
            return cell.height
        return self.text_height(_cut(cell), width, BODY, strong)

    def table(self, block: Table) -> None:
        scale = self.width / sum(c.width for c in block.columns)
        widths = [c.width * scale for c in block.columns]
        inner = [w - 2 * PAD for w in widths]
        header = max(self.text_height(c.title, w, SMALL, True) for c, w in zip(block.columns, inner, strict=True)) + 2 * PAD

        def draw_header() -> None:
            x = MARGIN
            self.pdf.set_fill_color(230)
            for column, width, room in zip(block.columns, widths, inner, strict=True):
                self.pdf.rect(x, self.y, width, header, style="DF")
                self.text(x + PAD, self.y + PAD, room, column.title, SMALL, True, column.align)
                x += width
            self.pdf.set_fill_color(0)
            self.y += header

        rows = [
            (row, max(block.min_row_height, max(self._cell_height(c, w, row.strong) for c, w in zip(row.cells, inner, strict=True)) + 2 * PAD))
            for row in block.rows
        ]  # fmt: skip
        self.need(header + (rows[0][1] if rows else 0))
        draw_header()
        self.pdf.set_line_width(0.2)
        for row, height in rows:
            if not self.fits(height):
                self.pdf.add_page()
                self.y = MARGIN
                draw_header()
            x = MARGIN
            for column, cell, width, room in zip(block.columns, row.cells, widths, inner, strict=True):
                self.pdf.rect(x, self.y, width, height)
                if isinstance(cell, Code):
                    offset = {"left": 0.0, "center": (room - cell.width) / 2, "right": room - cell.width}[column.align]
                    self.draw_code(cell, x + PAD + max(0.0, offset), self.y + PAD)
                elif isinstance(cell, Picture):
                    self.draw_picture(cell, x + PAD, self.y + PAD)
                else:
                    self.text(x + PAD, self.y + PAD, room, _cut(cell), BODY, row.strong, column.align)
                x += width
            self.y += height
        self.y += 3

    def figure(self, block: Figure) -> None:
        content = block.content
        caption = self.text_height(block.caption, self.width, BODY, True)
        if isinstance(content, Code):
            body = self.code_height(content)
        elif isinstance(content, Picture):
            body = content.height
        else:
            body = self.text_height(content, self.width, BODY)
        self.need(caption + body + 1)
        self.text(MARGIN, self.y, self.width, block.caption, BODY, True)
        self.y += caption + 1
        if isinstance(content, Code):
            self.draw_code(content, MARGIN, self.y)
        elif isinstance(content, Picture):
            self.draw_picture(content, MARGIN, self.y)
        else:
            self.text(MARGIN, self.y, self.width, content, BODY)
        self.y += body + 3

    def signatures(self, block: Signatures) -> None:
        role_width = min(75.0, 4 + max((self._width_of(role, BODY) for role in block.roles), default=0))
        line_width = min(60.0, (self.width - role_width - 8) / 2)
        self.pdf.set_line_width(0.2)
        self.y += 3
        for role in block.roles:
            role_height = self.text_height(role, role_width, BODY)
            height = max(role_height, 7.0) + 5
            self.need(height)
            base = self.y + max(role_height, 7.0)
            self.text(MARGIN, base - _line_height(BODY), role_width, role, BODY)
            for index, hint in enumerate(block.hint):
                x = MARGIN + role_width + index * (line_width + 8)
                self.pdf.line(x, base, x + line_width, base)
                self.pdf.set_text_color(70)
                self.text(x, base + 0.5, line_width, hint, 6.5, align="center")
                self.pdf.set_text_color(0)
            self.y += height
        if block.stamp:
            self.need(8)
            self.text(MARGIN, self.y + 2, self.width, block.stamp, BODY)
            self.y += 8


_BLOCKS = {
    Title: _Writer.title,
    Heading: _Writer.heading,
    Paragraph: _Writer.paragraph,
    Fields: _Writer.fields,
    Totals: _Writer.totals,
    Table: _Writer.table,
    Figure: _Writer.figure,
    Signatures: _Writer.signatures,
}


def render_pdf(doc: Document) -> bytes:
    """Render a document as PDF bytes (A4, portrait or landscape)."""
    writer = _Writer(doc)
    for block in doc.blocks:
        _BLOCKS[type(block)](writer, block)
    return bytes(writer.pdf.output())

