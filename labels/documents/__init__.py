"""Printable documents: data → Document layout → HTML or PDF bytes. Pure: no I/O, no clock, no server.

    render_document(PickListData(...), "pdf", "ru") -> bytes
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labels.documents.data import (
    InvoiceData,
    PackingListData,
    PickListData,
    ProofOfDeliveryData,
    RouteSheetData,
    WaybillData,
)
from labels.documents.errors import DocumentError
from labels.documents.html import render_html
from labels.documents.invoice import invoice
from labels.documents.model import Document
from labels.documents.packing_list import packing_list
from labels.documents.pdf import render_pdf
from labels.documents.pick_list import pick_list
from labels.documents.proof_of_delivery import proof_of_delivery
from labels.documents.route_sheet import route_sheet
from labels.documents.waybill import waybill

LAYOUTS: dict[type, Callable[[Any, str], Document]] = {
    PickListData: pick_list,
    PackingListData: packing_list,
    RouteSheetData: route_sheet,
    InvoiceData: invoice,
    WaybillData: waybill,
    ProofOfDeliveryData: proof_of_delivery,
}

RENDERERS: dict[str, Callable[[Document], bytes]] = {"html": render_html, "pdf": render_pdf}
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def layout_document(data: Any, lang: str = "ru") -> Document:
    """Lay out any document record (a key of LAYOUTS) in ``lang``."""
    layout = LAYOUTS.get(type(data))
    if layout is None:
        raise DocumentError("unknown_document", f"no document layout for {type(data).__name__}")
    return layout(data, lang)


def render_document(data: Any, fmt: str = "pdf", lang: str = "ru") -> bytes:
    """Render a document record as "html" or "pdf" bytes in "ru" or "en"."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise DocumentError("unknown_format", f"unknown document format {fmt!r}; known: {sorted(RENDERERS)}")
    return renderer(layout_document(data, lang))


__all__ = ["LAYOUTS", "MEDIA_TYPES", "RENDERERS", "DocumentError", "layout_document", "render_document"]
