"""The label font: Roboto from the ``font-roboto`` PyPI package (has Cyrillic, ₽ and №; Apache 2.0).

Shipping the TTF inside a Python package means a fresh machine needs no system font and nothing is
downloaded at run time. Fallback for other machines: Debian's ``fonts-dejavu-core``.
"""

from __future__ import annotations

import collections
import functools
from pathlib import Path

from PIL import ImageFont


def font_path(bold: bool = False) -> Path:
    """Return the path of the regular or bold TTF."""
    try:
        import font_roboto
    except ImportError:  # pragma: no cover - only on machines without the dependency
        base = Path("/usr/share/fonts/truetype/dejavu")
        return base / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return Path(font_roboto.RobotoBold if bold else font_roboto.Roboto)


@functools.lru_cache(maxsize=64)
def pil_font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Return a cached Pillow font of ``size_px`` pixels (em size)."""
    return ImageFont.truetype(str(font_path(bold)), size_px)


@functools.lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[str, float], float]:
    # Advance widths in em from the font's own hmtx table: measuring needs no rasterizer and is exact.
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path(bold)), lazy=True)
    units = font["head"].unitsPerEm
    hmtx = font["hmtx"].metrics
    missing = hmtx[".notdef"][0] / units
    # Keyed by character, defaulting to .notdef's width, so a width is one C-level map() over the text.
    widths = collections.defaultdict(lambda: missing)
    widths.update({chr(code): hmtx[glyph][0] / units for code, glyph in font.getBestCmap().items()})
    return widths, missing


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Return the advance width of ``text`` at font size ``size`` (same unit as size)."""
    return size * sum(map(_advances(bold)[0].__getitem__, text))


def fit_text(text: str, size: float, max_width: float, bold: bool = False) -> str:
    """Truncation rule: keep the longest prefix that, with "…" appended, fits ``max_width``."""
    if text_width(text, size, bold) <= max_width:
        return text
    widths, missing = _advances(bold)
    budget = max_width / size - widths["…"]
    used = 0.0
    for cut, ch in enumerate(text):
        used += widths[ch]
        if used > budget:
            return text[:cut].rstrip() + "…"
    return text  # pragma: no cover - unreachable: the whole text was wider than max_width
