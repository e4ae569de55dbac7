"""Render a Document as one self-contained HTML page: inline CSS, barcodes as inline SVG, pictures as data URIs.

Every piece of text goes through html.escape, so a customer named ``<script>…`` prints as text.
Output is deterministic (no clock, no ids), so golden files can be compared byte for byte.
"""

from __future__ import annotations

import base64
from html import escape

from labels.documents.model import (
    CELL_PADDING,
    MARGIN,
    Code,
    Document,
    Fields,
    Figure,
    Heading,
    Paragraph,
    Picture,
    Signatures,
    Table,
    Title,
    Totals,
    usable_width,
)
from labels.svg_render import num, symbol_path

CSS = (
    "*{box-sizing:border-box}"
    "body{margin:0;font:10pt/1.35 Roboto,'DejaVu Sans',Arial,sans-serif;color:#000;background:#fff}"
    ".doc{max-width:%(width)smm;margin:0 auto}"
    "h1{font-size:15pt;margin:0 0 3mm}h2{font-size:12pt;margin:5mm 0 2mm}"
    ".title{display:flex;justify-content:space-between;align-items:flex-start;gap:6mm}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:1mm 4mm;margin:0 0 3mm}"
    "dt{color:#444}dd{margin:0;white-space:pre-line}"
    "table{width:100%%;border-collapse:collapse;margin:2mm 0;page-break-inside:auto}"
    "th,td{border:0.2mm solid #000;padding:1mm %(pad)smm;vertical-align:top;white-space:pre-line}"
    "th{background:#e6e6e6;font-size:8.5pt;text-align:left}"
    "tr{page-break-inside:avoid}thead{display:table-header-group}"
    ".r{text-align:right;white-space:nowrap}.c{text-align:center}"
    "tr.strong td{font-weight:bold}"
    ".totals{width:max-content;margin-left:auto;grid-template-columns:max-content max-content;font-weight:bold}"
    ".totals dd{text-align:right}"
    ".code{display:inline-block;text-align:center}.code svg{display:block}"
    ".hri{font-size:7.5pt;letter-spacing:0.02em}"
    "figure{margin:2mm 0}figcaption{font-weight:bold;margin-bottom:1mm}"
    ".sign{display:grid;grid-template-columns:max-content 1fr 1fr;gap:5mm 4mm;margin-top:6mm;align-items:end}"
    ".sign span.line{border-bottom:0.2mm solid #000;display:block;height:7mm;position:relative}"
    ".sign span.line::after{content:attr(data-hint);position:absolute;top:7.5mm;left:0;font-size:7pt;color:#444}"
    ".stamp{margin-top:6mm}"
    "@media print{.doc{max-width:none}}"
)


def _t(text: str) -> str:
    return escape(text, quote=True)


def _svg(code: Code) -> str:
    symbol = code.symbol
    width, height = num(code.width), num(code.height)
    x, y = code.module * symbol.quiet_left, code.module * symbol.quiet_vertical
    # aria-label: a screen reader or a search reads the human-readable text, never raw GS bytes.
    label = code.text or symbol.hri or symbol.payload.replace("\x1d", " ")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}" '
        f'shape-rendering="crispEdges" role="img" aria-label="{_t(label)}">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f"{symbol_path(symbol, x, y, code.module, code.bar_height)}</svg>"
    )


def _code(code: Code) -> str:
    hri = f'<div class="hri">{_t(code.text)}</div>' if code.text else ""
    return f'<div class="code">{_svg(code)}{hri}</div>'


def _picture(picture: Picture, alt: str = "") -> str:
    data = base64.b64encode(picture.png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{_t(alt)}" '
        f'style="width:{num(picture.width)}mm;height:{num(picture.height)}mm;object-fit:contain">'
    )


def _cell(cell: str | Code | Picture) -> str:
    if isinstance(cell, Code):
        return _code(cell)
    if isinstance(cell, Picture):
        return _picture(cell)
    return _t(cell)


_ALIGN = {"left": "", "right": ' class="r"', "center": ' class="c"'}


def _title(block: Title) -> str:
    code = _code(block.code) if block.code else ""
    return f'<header class="title"><h1>{_t(block.text)}</h1>{code}</header>'


def _heading(block: Heading) -> str:
    return f"<h2>{_t(block.text)}</h2>"


def _paragraph(block: Paragraph) -> str:
    text = _t(block.text)
    return f"<p><strong>{text}</strong></p>" if block.strong else f"<p>{text}</p>"


def _pairs(items: tuple[tuple[str, str], ...], cls: str = "") -> str:
    body = "".join(f"<dt>{_t(label)}</dt><dd>{_t(value)}</dd>" for label, value in items)
    return f'<dl class="{cls}">{body}</dl>' if cls else f"<dl>{body}</dl>"


def _fields(block: Fields) -> str:
    return _pairs(block.items)


def _totals(block: Totals) -> str:
    return _pairs(block.items, "totals")


def _table(block: Table) -> str:
    total = sum(c.width for c in block.columns) or 1.0
    cols = "".join(f'<col style="width:{num(100 * c.width / total)}%">' for c in block.columns)
    head = "".join(f"<th{_ALIGN[c.align]}>{_t(c.title)}</th>" for c in block.columns)
    height = f' style="height:{num(block.min_row_height)}mm"' if block.min_row_height else ""
    rows = []
    for row in block.rows:
        cells = "".join(
            f"<td{_ALIGN[column.align]}>{_cell(cell)}</td>" for column, cell in zip(block.columns, row.cells, strict=True)
        )
        rows.append(f'<tr class="strong"{height}>{cells}</tr>' if row.strong else f"<tr{height}>{cells}</tr>")
    return f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(block: Figure) -> str:
    content = block.content
    if isinstance(content, Code):
        body = _code(content)
    elif isinstance(content, Picture):
        body = _picture(content, block.caption)
    else:
        body = f"<p>{_t(content)}</p>"
    return f"<figure><figcaption>{_t(block.caption)}</figcaption>{body}</figure>"


def _signatures(block: Signatures) -> str:
    sign, name = (_t(h) for h in block.hint)
    rows = "".join(
        f'<span>{_t(role)}</span><span class="line" data-hint="{sign}"></span><span class="line" data-hint="{name}"></span>'
        for role in block.roles
    )
    stamp = f'<p class="stamp">{_t(block.stamp)}</p>' if block.stamp else ""
    return f'<section class="sign">{rows}</section>{stamp}'


_BLOCKS = {
    Title: _title,
    Heading: _heading,
    Paragraph: _paragraph,
    Fields: _fields,
    Totals: _totals,
    Figure: _figure,
    Signatures: _signatures,
    Table: _table,
}


def render_html(doc: Document) -> bytes:
    """Render a document as a UTF-8 HTML page sized for A4 printing."""
    width = usable_width(doc.landscape)
    orientation = "landscape" if doc.landscape else "portrait"
    css = CSS % {"width": num(width), "pad": num(CELL_PADDING)} + f"@page{{size:A4 {orientation};margin:{num(MARGIN)}mm}}"
    body = [_BLOCKS[type(block)](block) for block in doc.blocks]
    page = (
        f'<!DOCTYPE html>\n<html lang="{_t(doc.lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_t(doc.title)}</title>\n<style>{css}</style>\n</head>\n"
        f'<body>\n<main class="doc">\n' + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")

