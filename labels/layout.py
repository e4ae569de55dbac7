"""A label as data: positioned text, lines and barcodes in millimetres, shared by every renderer."""

from __future__ import annotations

from dataclasses import dataclass

from labels.symbol import Symbol


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; (x, y) is the left end of its baseline, size is the font size in mm."""

    x: float
    y: float
    size: float
    text: str
    bold: bool = False
    max_width: float = 0.0  # the width the template reserved; the truncation rule keeps text inside it


@dataclass(frozen=True, slots=True)
class Line:
    """A straight rule, e.g. between the sender and recipient blocks."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.3


@dataclass(frozen=True, slots=True)
class Barcode:
    """A symbol placed with the top-left of its bars (quiet zone excluded) at (x, y)."""

    symbol: Symbol
    x: float
    y: float
    module: float  # X-dimension in mm
    bar_height: float = 0.0  # linear symbols only


@dataclass(frozen=True, slots=True)
class Label:
    """A whole label: its size in mm and what is drawn on it."""

    name: str
    width: float
    height: float
    items: tuple[Text | Line | Barcode, ...]

    def barcodes(self) -> list[Barcode]:
        return [item for item in self.items if isinstance(item, Barcode)]
