"""Render a Label to SVG bytes: text as <text>, each barcode as one <path>; deterministic output."""

from __future__ import annotations

from html import escape

from labels.fonts import text_width
from labels.layout import Barcode, Label, Line, Text
from labels.svg_render import num, symbol_path

FONT_FAMILY = "Roboto, 'DejaVu Sans', Arial, sans-serif"


def _text(item: Text) -> str:
    weight = ' font-weight="bold"' if item.bold else ""
    # textLength pins the drawn width to Roboto's metrics, so a viewer that substitutes another font
    # still keeps the text inside the box the template measured.
    length = num(text_width(item.text, item.size, item.bold))
    return (
        f'<text x="{num(item.x)}" y="{num(item.y)}" font-size="{num(item.size)}"{weight} '
        f'textLength="{length}" lengthAdjust="spacingAndGlyphs">{escape(item.text, quote=False)}</text>'
    )


def _line(item: Line) -> str:
    return (
        f'<line x1="{num(item.x1)}" y1="{num(item.y1)}" x2="{num(item.x2)}" y2="{num(item.y2)}" '
        f'stroke="#000" stroke-width="{num(item.width)}"/>'
    )


def _barcode(item: Barcode) -> str:
    return symbol_path(item.symbol, item.x, item.y, item.module, item.bar_height or None)


_RENDERERS = {Text: _text, Line: _line, Barcode: _barcode}


def render_label_svg(label: Label) -> bytes:
    """Render a label as an SVG document sized in mm (viewBox units are millimetres)."""
    width, height = num(label.width), num(label.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<g font-family="{FONT_FAMILY}" fill="#000" shape-rendering="crispEdges">',
    ]
    parts.extend(_RENDERERS[type(item)](item) for item in label.items if not (isinstance(item, Text) and not item.text))
    parts.append("</g></svg>\n")
    return "".join(parts).encode("utf-8")
