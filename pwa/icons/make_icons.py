"""Draw the PWA's icons (PNG) with Pillow: a white "T" over barcode bars on Tally blue.

Run from the project root: `.venv/bin/python pwa/icons/make_icons.py`. The PNGs are committed;
this script is how they were made.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 83, 148, 255)
WHITE = (255, 255, 255, 255)
HERE = Path(__file__).resolve().parent
# Widths of alternating bar/space modules, a barcode-like rhythm (not a real symbol).
BARS = [2, 1, 1, 2, 3, 1, 1, 1, 2, 2, 1, 3, 1, 1, 2, 1, 1, 2]


def draw(size: int, *, maskable: bool, rounded: bool) -> Image.Image:
    """One icon; a maskable icon keeps its content inside the central 80 % safe zone."""
    scale = 4  # draw large, then downsample for smooth edges
    s = size * scale
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 6, fill=BLUE)
    else:
        pen.rectangle((0, 0, s, s), fill=BLUE)
    safe = 0.62 if maskable else 0.78
    box = s * safe
    left, top = (s - box) / 2, (s - box) / 2
    # The "T": a bar across the top and a stem.
    bar_h = box * 0.16
    pen.rectangle((left, top, left + box, top + bar_h), fill=WHITE)
    stem_w = box * 0.2
    stem_left = left + (box - stem_w) / 2
    pen.rectangle((stem_left, top, stem_left + stem_w, top + box * 0.52), fill=WHITE)
    # Barcode bars under the T.
    units = sum(BARS)
    unit = box / units
    x, bars_top, bars_bottom = left, top + box * 0.62, top + box
    for i, width in enumerate(BARS):
        if i % 2 == 0:
            pen.rectangle((x, bars_top, x + width * unit - 1, bars_bottom), fill=WHITE)
        x += width * unit
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    targets = {
        "icon-192.png": (192, False, True),
        "icon-512.png": (512, False, True),
        "maskable-512.png": (512, True, False),
        "apple-touch-icon.png": (180, False, False),  # iOS rounds the corners itself
        "favicon-32.png": (32, False, True),
    }
    for name, (size, maskable, rounded) in targets.items():
        draw(size, maskable=maskable, rounded=rounded).save(HERE / name, optimize=True)
        print(name, (HERE / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
