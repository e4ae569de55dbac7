"""Render a Symbol to a Pillow image or PNG bytes with whole-pixel modules (no resampling blur)."""

from __future__ import annotations

import io

from PIL import Image

from labels.symbol import Symbol

_TO_GREY = str.maketrans({"1": "\x00", "0": "\xff"})


def mm_to_px(mm: float, dpi: int) -> int:
    """Convert millimetres to whole device pixels at ``dpi``."""
    return round(mm * dpi / 25.4)


def module_px(module_mm: float, dpi: int) -> int:
    """Whole printer dots per module: a thermal head cannot print fractions of a dot."""
    return max(1, mm_to_px(module_mm, dpi))


def symbol_image(symbol: Symbol, module: int, bar_height: int | None = None) -> Image.Image:
    """Return a greyscale image of the symbol's modules (no quiet zone), ``module`` pixels per module."""
    rows = symbol.rows
    width = len(rows[0])
    data = "".join(rows).translate(_TO_GREY).encode("latin-1")
    small = Image.frombytes("L", (width, len(rows)), data)
    height = bar_height if symbol.linear and bar_height else len(rows) * module
    return small.resize((width * module, height), Image.Resampling.NEAREST)


def render_symbol_png(symbol: Symbol, *, dpi: int = 203, module_mm: float = 0.5, bar_height_mm: float = 15.0) -> bytes:
    """Render one symbol with its quiet zones as PNG bytes carrying the dpi."""
    module = module_px(module_mm, dpi)
    bars = symbol_image(symbol, module, mm_to_px(bar_height_mm, dpi))
    canvas = Image.new(
        "L",
        (bars.width + (symbol.quiet_left + symbol.quiet_right) * module, bars.height + 2 * symbol.quiet_vertical * module),
        255,
    )
    canvas.paste(bars, (symbol.quiet_left * module, symbol.quiet_vertical * module))
    out = io.BytesIO()
    canvas.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
