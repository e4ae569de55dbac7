"""A printable document as data: blocks of text, fields, tables, barcodes and pictures.

Each document (pick list, invoice, …) is a pure function data → Document; the HTML and PDF
renderers draw any Document. Lengths are millimetres on an A4 page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from labels.documents.errors import DocumentError
from labels.errors import GS1Error, SymbolError
from labels.symbol import Symbol
from labels.symbols import encode_symbol

A4 = (210.0, 297.0)
MARGIN = 12.0
CELL_PADDING = 1.5  # mm inside a table cell, on each side; both renderers use it
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def usable_width(landscape: bool) -> float:
    """The width between the margins of an A4 page."""
    return (A4[1] if landscape else A4[0]) - 2 * MARGIN


@dataclass(frozen=True, slots=True)
class Code:
    """A barcode placed in a document: module (X-dimension) in mm, bars of a linear symbol bar_height tall."""

    symbol: Symbol
    module: float
    bar_height: float = 8.0
    text: str = ""  # printed under the symbol

    @property
    def width(self) -> float:
        """Width in mm, quiet zones included."""
        return self.symbol.width * self.module

    @property
    def height(self) -> float:
        """Height of the symbol in mm (without the text), quiet zones included."""
        return self.bar_height if self.symbol.linear else self.symbol.height * self.module


@dataclass(frozen=True, slots=True)
class Picture:
    """A PNG image (e.g. a drawn signature) shown width × height mm."""

    png: bytes
    width: float
    height: float


Cell = str | Code | Picture


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its title, width in mm (at the usable page width) and text alignment."""

    title: str
    width: float
    align: str = "left"  # left | right | center


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Cell, ...]
    strong: bool = False  # a totals row


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    min_row_height: float = 0.0  # room to sign in, on a route sheet


@dataclass(frozen=True, slots=True)
class Title:
    """The document's title, with an optional barcode beside it (e.g. the order number)."""

    text: str
    code: Code | None = None


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Fields:
    """Label: value pairs, one per line (parties, dates, the route's courier …)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Totals:
    """Label: value pairs set flush right under a table."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Figure:
    """A captioned picture or barcode; a text stands in when there is nothing to show."""

    caption: str
    content: Picture | Code | str


@dataclass(frozen=True, slots=True)
class Signatures:
    """Signature lines: per role a line to sign on and a line for the name, captioned by ``hint``."""

    roles: tuple[str, ...]
    hint: tuple[str, str]  # ("signature", "full name") in the document's language
    stamp: str = ""  # "М. П." where a stamp belongs


Block = Title | Heading | Paragraph | Fields | Totals | Table | Figure | Signatures


@dataclass(frozen=True, slots=True)
class Document:
    title: str  # <title> and PDF metadata
    lang: str
    blocks: tuple[Block, ...]
    landscape: bool = False


def code128(payload: str, max_width: float, bar_height: float = 8.0, text: str | None = None) -> Code | None:
    """A Code 128 that fits ``max_width`` mm, or None when the payload cannot be printed readably.

    X-dimension 0.25-0.33 mm: ISO/IEC 15417 sets no minimum, but below 0.25 mm an office laser
    printer blurs the bars; a payload too long for the column at 0.25 mm prints as text only.
    """
    try:
        symbol = encode_symbol("code128", payload)
    except SymbolError:  # e.g. Cyrillic in a bin barcode: Code 128 holds ASCII only
        return None
    module = min(0.33, max_width / symbol.width)
    if module < 0.25:
        return None
    return Code(symbol, round(module, 3), bar_height, payload if text is None else text)


def sscc_code(sscc: str, max_width: float, bar_height: float = 10.0) -> Code | None:
    """The SSCC as GS1-128 (AI 00), human-readable "(00) …" underneath; None for a malformed SSCC."""
    try:
        symbol = encode_symbol("gs1-128", "00" + sscc)
    except (GS1Error, SymbolError):
        return None
    module = min(0.33, max_width / symbol.width)
    if module < 0.25:
        return None
    return Code(symbol, round(module, 3), bar_height, symbol.hri)


def qr_code(payload: str, size: float) -> Code:
    """A QR Code about ``size`` mm square, quiet zone included."""
    symbol = encode_symbol("qr", payload)
    return Code(symbol, round(size / symbol.width, 3))


def picture(png: bytes, max_width: float, max_height: float) -> Picture:
    """A PNG shown as large as fits the bounds, keeping its aspect ratio; anything but a PNG is refused."""
    if not png.startswith(PNG_MAGIC):
        raise DocumentError("not_png", "the image is not a PNG file")
    try:
        with Image.open(io.BytesIO(png)) as image:
            px_width, px_height = image.size
    except (UnidentifiedImageError, OSError) as error:
        raise DocumentError("not_png", f"the PNG cannot be read: {error}") from None
    scale = min(max_width / px_width, max_height / px_height)
    return Picture(png, round(px_width * scale, 2), round(px_height * scale, 2))
