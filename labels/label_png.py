"""Render a Label to a PNG raster at printer resolution (203 or 300 dpi) with Pillow."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from labels.fonts import pil_font
from labels.layout import Barcode, Label, Line, Text
from labels.png_render import module_px, symbol_image


def render_label_image(label: Label, dpi: int = 203) -> Image.Image:
    """Draw a label into a greyscale Pillow image, barcodes in whole dots per module."""
    dpmm = dpi / 25.4
    image = Image.new("L", (round(label.width * dpmm), round(label.height * dpmm)), 255)
    draw = ImageDraw.Draw(image)
    for item in label.items:
        if isinstance(item, Text):
            if item.text:
                font = pil_font(max(1, round(item.size * dpmm)), item.bold)
                draw.text((item.x * dpmm, item.y * dpmm), item.text, font=font, fill=0, anchor="ls")
        elif isinstance(item, Line):
            width = max(1, round(item.width * dpmm))
            draw.line([(item.x1 * dpmm, item.y1 * dpmm), (item.x2 * dpmm, item.y2 * dpmm)], fill=0, width=width)
        elif isinstance(item, Barcode):
            bars = symbol_image(item.symbol, module_px(item.module, dpi), round(item.bar_height * dpmm))
            image.paste(bars, (round(item.x * dpmm), round(item.y * dpmm)))
    return image


def render_label_png(label: Label, dpi: int = 203) -> bytes:
    """Render a label as PNG bytes carrying its dpi."""
    out = io.BytesIO()
    # 1-bit output: thermal printers are bilevel and the file is a fraction of the greyscale size.
    render_label_image(label, dpi).convert("1", dither=Image.Dither.NONE).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
