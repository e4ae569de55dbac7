"""Place a line of text in a box so it never overflows: the one truncation rule every template uses."""

from __future__ import annotations

import functools

from labels.fonts import fit_text, text_width
from labels.layout import Text
from labels.text_format import clip

MAX_CHARS = 80  # no single label line holds more; longer input is cut first at 80 chars, then by width


# A print run repeats most lines (headings, the sender, the route, the window): measuring a line
# costs a dictionary lookup per character, a hit costs one hash. Text is frozen, so sharing is safe;
# typed keeps 4 and 4.0 apart, as a renderer may spell them differently.
@functools.lru_cache(maxsize=4096, typed=True)
def text_box(x: float, y: float, size: float, text: str, width: float, bold: bool = False) -> Text:
    """Return a Text at baseline (x, y), clipped to MAX_CHARS then to ``width`` mm with "…"."""
    return Text(x, y, size, fit_text(clip(text, MAX_CHARS), size, width, bold), bold, width)


def two_lines(text: str, size: float, width: float, bold: bool = False) -> tuple[str, str]:
    """Wrap at word boundaries into two lines; the second is cut by the truncation rule."""
    words = clip(text, 2 * MAX_CHARS).split()
    first = ""
    while words:
        candidate = f"{first} {words[0]}".strip()
        if text_width(candidate, size, bold) > width:
            break
        first = candidate
        words.pop(0)
    if not first:  # one word wider than the line: cut it on the first line
        return fit_text(" ".join(words), size, width, bold), ""
    return first, fit_text(" ".join(words), size, width, bold)
