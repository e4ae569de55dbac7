"""Render a Symbol to SVG: one <path> per symbol, integer module coordinates, byte-for-byte deterministic."""

from __future__ import annotations

import re
from html import escape

from labels.symbol import Symbol

_DARK_RUN = re.compile(r"1+")

# Default X-dimension (module width) per symbology, in mm.
DEFAULT_MODULE_MM = {
    "code128": 0.33,
    # GenSpecs 5.12.3.1 (symbol specification table 1): SSCC GS1-128 on logistic labels X = 0.495-1.016 mm.
    "gs1-128": 0.5,
    "ean13": 0.33,  # GenSpecs 5.2.3.4: 0.330 mm is the EAN-13 nominal X-dimension
    "qr": 0.5,
    "gs1-datamatrix": 0.5,
}


def num(value: float) -> str:
    """Format a length for SVG: at most 3 decimals, no trailing zeros, so output is stable."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def symbol_path_data(symbol: Symbol) -> str:
    """Return path data of the dark modules in module units: one rectangle per horizontal run of a row."""
    parts = []
    for y, row in enumerate(symbol.rows):
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            width = end - start
            parts.append(f"M{start} {y}h{width}v1h-{width}z")
    return "".join(parts)


def symbol_path(symbol: Symbol, x_mm: float, y_mm: float, module_mm: float, height_mm: float | None = None) -> str:
    """Return one <path> drawing the symbol with its top-left (excluding quiet zone) at x_mm, y_mm."""
    # A linear symbol is one row of modules stretched vertically to the bar height.
    row_mm = height_mm if symbol.linear and height_mm is not None else module_mm
    transform = f"matrix({num(module_mm)} 0 0 {num(row_mm)} {num(x_mm)} {num(y_mm)})"
    return f'<path transform="{transform}" d="{symbol_path_data(symbol)}"/>'


def symbol_size_mm(symbol: Symbol, module_mm: float, bar_height_mm: float, hri: bool) -> tuple[float, float]:
    """Return (width, height) in mm of a rendered symbol with quiet zones (and HRI text below if asked)."""
    width = symbol.width * module_mm
    if symbol.linear:
        return width, bar_height_mm + (4.0 if hri else 0.0)
    return width, symbol.height * module_mm


def render_symbol_svg(
    symbol: Symbol, *, module_mm: float | None = None, bar_height_mm: float = 15.0, hri: bool = True
) -> bytes:
    """Render one symbol as a standalone SVG document (UTF-8 bytes) sized in millimetres."""
    module = module_mm or DEFAULT_MODULE_MM.get(symbol.kind, 0.33)
    width, height = symbol_size_mm(symbol, module, bar_height_mm, hri and bool(symbol.hri))
    x = symbol.quiet_left * module
    y = symbol.quiet_vertical * module
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}mm" height="{num(height)}mm" '
        f'viewBox="0 0 {num(width)} {num(height)}" shape-rendering="crispEdges">',
        f'<rect width="{num(width)}" height="{num(height)}" fill="#fff"/>',
        symbol_path(symbol, x, y, module, bar_height_mm),
    ]
    if symbol.linear and hri and symbol.hri:
        body.append(
            f'<text x="{num(width / 2)}" y="{num(bar_height_mm + 3.2)}" font-family="Roboto, DejaVu Sans, sans-serif" '
            f'font-size="3" text-anchor="middle">{escape(symbol.hri)}</text>'
        )
    body.append("</svg>\n")
    return "".join(body).encode("utf-8")
