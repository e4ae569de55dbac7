"""Render a Label to ZPL II for Zebra-compatible thermal printers (203 dpi by default).

Text is UTF-8 (^CI28) so Cyrillic prints; ^FH lets the three characters ZPL reserves (^ ~ _) appear
in data as hex escapes. The printer draws the barcodes itself from their data, so the output is small
and the bars land on whole dots.
"""

from __future__ import annotations

from labels.code128 import CODE_B, CODE_C, FNC1, START_C, code128_values_cached
from labels.layout import Barcode, Label, Line, Text
from labels.symbol import Symbol

_FH_ESCAPES = str.maketrans({"_": "_5F", "^": "_5E", "~": "_7E"})


def _dots(mm: float, dpmm: float) -> int:
    return round(mm * dpmm)


def zpl_code128_data(symbol: Symbol) -> str:
    """Spell a Code 128 / GS1-128 symbol as ^BC mode-N data with explicit subset and FNC1 codes."""
    values = code128_values_cached(symbol.payload, symbol.kind == "gs1-128")
    # ZPL ^BC invocation codes: >; start C, >: start B, >5 to C, >6 to B, >8 FNC1, >< the ">" character.
    out = [">;" if values[0] == START_C else ">:"]
    in_c = values[0] == START_C
    for value in values[1:-1]:  # the printer adds the check character itself
        if value == FNC1:
            out.append(">8")
        elif value == CODE_C:
            out.append(">5")
            in_c = True
        elif value == CODE_B:
            out.append(">6")
            in_c = False
        elif in_c:
            out.append(f"{value:02d}")
        else:
            char = chr(value + 32)
            out.append("><" if char == ">" else char)
    return "".join(out)


def _escape(text: str) -> str:
    # str.translate walks every character through a dict; nearly no text holds ^ ~ _, so test first.
    if "_" in text or "^" in text or "~" in text:
        return text.translate(_FH_ESCAPES)
    return text


def _text(item: Text, dpmm: float) -> str:
    height = round(item.size * dpmm)
    # ^FT places the baseline, like the layout; ^A0 is the printer's scalable font (Cyrillic in
    # current firmware) and narrower than Roboto, so text the template fitted also fits here.
    return f"^FT{round(item.x * dpmm)},{round(item.y * dpmm)}^A0N,{height},{height}^FH^FD{_escape(item.text)}^FS"


def _line(item: Line, dpmm: float) -> str:
    thickness = max(1, _dots(item.width, dpmm))
    x, y = _dots(min(item.x1, item.x2), dpmm), _dots(min(item.y1, item.y2), dpmm)
    width = max(thickness, _dots(abs(item.x2 - item.x1), dpmm))
    height = max(thickness, _dots(abs(item.y2 - item.y1), dpmm))
    return f"^FO{x},{y}^GB{width},{height},{thickness}^FS"


def _barcode(item: Barcode, dpmm: float) -> str:
    symbol = item.symbol
    module = max(1, _dots(item.module, dpmm))
    x, y = _dots(item.x, dpmm), _dots(item.y, dpmm)
    if symbol.kind in ("code128", "gs1-128"):
        # ^BC mode N with our own subset choice; interpretation line off, we print the HRI as text.
        data = zpl_code128_data(symbol)
        fh = "^FH" if data != (escaped := _escape(data)) else ""  # a "^" or "~" in a bin code would end the field
        return f"^FO{x},{y}^BY{module}^BCN,{_dots(item.bar_height, dpmm)},N,N,N,N{fh}^FD{escaped}^FS"
    if symbol.kind == "ean13":
        return f"^FO{x},{y}^BY{module}^BEN,{_dots(item.bar_height, dpmm)},N,N^FD{symbol.payload[:12]}^FS"
    if symbol.kind == "qr":
        # ^BQ model 2, magnification = dots per module; "MA," = error correction M, automatic input mode.
        return f"^FO{x},{y}^BQN,2,{min(module, 10)}^FH^FDMA,{_escape(symbol.payload)}^FS"
    if symbol.kind == "gs1-datamatrix":
        # ^BX quality 200 (ECC 200); escape character "`" (outside GS1 set 82): "`1" is FNC1.
        data = "`1" + symbol.payload.replace("\x1d", "`1")
        return f"^FO{x},{y}^BXN,{module},200,0,0,6,`,1^FD{data}^FS"
    raise ValueError(f"no ZPL mapping for {symbol.kind}")


def render_label_zpl(label: Label, dpi: int = 203) -> bytes:
    """Render a label as one ZPL format (^XA…^XZ), UTF-8 bytes."""
    dpmm = dpi / 25.4
    parts = ["^XA", "^CI28", f"^PW{_dots(label.width, dpmm)}", f"^LL{_dots(label.height, dpmm)}", "^LH0,0"]
    for item in label.items:
        kind = type(item)  # the layout's item classes are final: an exact type test is the cheap dispatch
        if kind is Text:
            if item.text:
                parts.append(_text(item, dpmm))
        elif kind is Line:
            parts.append(_line(item, dpmm))
        else:
            parts.append(_barcode(item, dpmm))
    parts.append("^XZ\n")
    return "\n".join(parts).encode("utf-8")
