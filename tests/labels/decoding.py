"""Test helpers: decode images with zxing-cpp, and rasterize our own SVG paths so SVGs can be decoded too."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image, ImageDraw

_PATH = re.compile(r'<path transform="matrix\(([^)]*)\)" d="([^"]*)"/>')
_RECT = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\d+z")
_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    """Every barcode zxing-cpp finds, with GS separators kept as raw bytes."""
    return zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)


def decode_png(png: bytes) -> list[zxingcpp.Barcode]:
    return decode(Image.open(io.BytesIO(png)))


def rasterize_svg_paths(svg: bytes, px_per_mm: float = 12.0) -> Image.Image:
    """Draw the barcode <path>s of an SVG we produced (our renderer only emits module rectangles)."""
    text = svg.decode("utf-8")
    width_mm, height_mm = map(float, _VIEWBOX.search(text).groups())
    image = Image.new("L", (round(width_mm * px_per_mm), round(height_mm * px_per_mm)), 255)
    draw = ImageDraw.Draw(image)
    for matrix, data in _PATH.findall(text):
        sx, _, _, sy, tx, ty = map(float, matrix.split())
        for x, y, w in _RECT.findall(data):
            x0 = (tx + int(x) * sx) * px_per_mm
            y0 = (ty + int(y) * sy) * px_per_mm
            draw.rectangle(
                [round(x0), round(y0), round(x0 + int(w) * sx * px_per_mm) - 1, round(y0 + sy * px_per_mm) - 1], fill=0
            )
    return image
