"""HTTP handlers that print: labels of bins, products, parcels and device enrollments, and the
documents of orders and routes.

Each handler reads a record (server.reads.printing), lays it out and renders it with labels/ in a
worker thread (a sheet of a few hundred labels takes a while and must not stall the event loop).

ZPL is answered as `text/plain; charset=utf-8`: it is UTF-8 text (^CI28), `application/zpl` is not
a registered type and nothing interprets it, while a text type with a charset can be read in a
browser or piped to a printer's port 9100 as is; the .zpl file name comes in Content-Disposition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from anyio import to_thread
from litestar import Controller, Request, Response, Router, get, post
from litestar.params import Parameter

from labels.documents import render_document
from labels.errors import GS1Error, SymbolError
from labels.label_pdf import render_labels_pdf
from labels.label_png import render_label_png
from labels.label_svg import render_label_svg
from labels.label_zpl import render_label_zpl
from labels.layout import Label
from labels.templates import bin_label, enrollment_card, product_label
from labels.templates.parcel_label import parcel_label
from server.api.auth import STAFF, allow, visible_warehouse
from server.api.devices import MANAGERS
from server.domain.refusals import Refused
from server.reads import printing as reads
from server.usecases.packing import PACKING_ROLES
from server.wire.devices import DeviceRoleName
from sync.database import Database

LabelFormat = Literal["svg", "png", "pdf", "zpl"]
SheetFormat = Literal["pdf", "zpl"]
CardFormat = Literal["svg", "png", "pdf"]  # a card is printed on an office printer or shown on a screen
ParcelSize = Literal["100x150", "58x40"]
DocumentFormat = Literal["html", "pdf"]
Lang = Literal["ru", "en"]
Dpi = Literal[203, 300]

# Litestar adds "; charset=utf-8" to text types itself.
MEDIA_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "zpl": "text/plain",
    "html": "text/html",
}

# How labels become one file: a PDF is an A4 sheet of them, a ZPL stream one ^XA…^XZ format per label.
SHEET_RENDERERS: dict[str, Callable[[Sequence[Label], int], bytes]] = {
    "svg": lambda labels, _dpi: render_label_svg(labels[0]),
    "png": lambda labels, dpi: render_label_png(labels[0], dpi),
    "pdf": lambda labels, _dpi: render_labels_pdf(labels),
    "zpl": lambda labels, dpi: b"".join(render_label_zpl(label, dpi) for label in labels),
}

FORMAT = Parameter(default="pdf", description="Output format")
DPI = Parameter(default=203, description="Printer resolution for PNG and ZPL (dots per inch)")
SIZE = Parameter(default="100x150", description="Parcel label size in mm: the 4×6 in shipping label or the small one")
# The schema names the default type and lists the others: one handler answers several types.
LABEL_RESPONSE = {
    "media_type": MEDIA_TYPES["pdf"],
    "response_description": "PDF by default; image/svg+xml, image/png or text/plain (ZPL) by format",
}
DOCUMENT_RESPONSE = {"media_type": MEDIA_TYPES["pdf"], "response_description": "PDF by default; text/html by format"}


def _printed(content: bytes, format: str, name: str) -> Response[bytes]:  # noqa: A002
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'inline; filename="{name}.{format}"',
            # Documents carry names, phones and addresses: no shared cache may keep them.
            "Cache-Control": "private, no-store",
        },
    )


async def _render(render: Callable[..., bytes], *args: Any) -> bytes:
    """Render off the event loop; a payload a symbology cannot carry is a refusal, never a broken label."""
    try:
        return await to_thread.run_sync(render, *args)
    except (GS1Error, SymbolError) as error:
        raise Refused("label_unprintable", str(error), reason=error.code) from None


def _labels(make: Callable[[Any], Label], records: Sequence[Any], format: str, dpi: int) -> bytes:  # noqa: A002
    return SHEET_RENDERERS[format]([make(record) for record in records], dpi)


def _parcel(size: str, record: reads.ParcelLabel) -> Label:
    return parcel_label(record.data, size, record.unknown)


class EnrollmentCardRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A card for an enrollment code just created (POST /api/devices/enrollments): the code is only known then."""

    code: Annotated[str, msgspec.Meta(min_length=4, max_length=32)]
    server_url: Annotated[str, msgspec.Meta(max_length=200, pattern=r"^https?://[^\s\x00-\x1f]+$")]  # what devices reach
    role: DeviceRoleName  # must be the code's role
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None  # the device's name, printed with the role
    # The printing page's offset from UTC (e.g. 180 in Moscow): the card shows its expiry in local time.
    utc_offset_minutes: Annotated[int, msgspec.Meta(ge=-720, le=840)] = 0


# A packing handheld prints the label of the parcel it has just packed; like a bound account, it
# reads only its own warehouse's parcels (`visible_warehouse` of a device is its scope's).
PARCEL_PRINTERS = (*STAFF, *sorted(PACKING_ROLES))


class LabelController(Controller):
    path = "/labels"
    tags = ["printing"]

    @get(
        "/bins/{location_id:int}", guards=[allow(*STAFF)], operation_id="printBinLabel", **LABEL_RESPONSE
    )
    async def bin(
        self, db: Database, request: Request, location_id: int, format: LabelFormat = FORMAT, dpi: Dpi = DPI  # noqa: A002
    ) -> Response[bytes]:
        """The label of one bin (80×40 mm): the scanned barcode as Code 128."""
        async with db.read() as conn:
            record = await reads.bin_label(conn, location_id, visible_warehouse(request.user))
        content = await _render(_labels, bin_label, [record], format, dpi)
        return _printed(content, format, f"bin-{location_id}")

    @get(
        "/products/{product_id:int}", guards=[allow(*STAFF)], operation_id="printProductLabel", **LABEL_RESPONSE
    )
    async def product(
        self, db: Database, product_id: int, format: LabelFormat = FORMAT, dpi: Dpi = DPI  # noqa: A002
    ) -> Response[bytes]:
        """The label of one product (58×40 mm): name, price and its unit EAN-13."""
        async with db.read() as conn:
            record = await reads.product_label(conn, product_id)
        content = await _render(_labels, product_label, [record], format, dpi)
        return _printed(content, format, f"product-{product_id}")

    @get(
        "/warehouses/{warehouse_id:int}/bins", guards=[allow(*STAFF)], operation_id="printWarehouseBinLabels", **LABEL_RESPONSE
    )
    async def warehouse_bins(
        self, db: Database, request: Request, warehouse_id: int, format: SheetFormat = FORMAT, dpi: Dpi = DPI  # noqa: A002
    ) -> Response[bytes]:
        """Every bin label of a warehouse in walking order: one A4 PDF sheet or one ZPL stream."""
        async with db.read() as conn:
            records = await reads.warehouse_bin_labels(conn, warehouse_id, visible_warehouse(request.user))
        content = await _render(_labels, bin_label, records, format, dpi)
        return _printed(content, format, f"warehouse-{warehouse_id}-bins")

    @get(
        "/parcels/{parcel:str}", guards=[allow(*PARCEL_PRINTERS)], operation_id="printParcelLabel", **LABEL_RESPONSE
    )
    async def parcel(
        self, db: Database, request: Request, parcel: str, format: LabelFormat = FORMAT, size: ParcelSize = SIZE,  # noqa: A002
        dpi: Dpi = DPI,
    ) -> Response[bytes]:
        """The shipping label of one parcel, by SSCC or parcel id: 100×150 mm (SSCC as GS1-128, QR of the
        parcel id, sender, recipient, window, n of m, weight, COD, route and stop) or the small 58×40 mm one."""
        async with db.read() as conn:
            record = await reads.parcel_label(conn, parcel, visible_warehouse(request.user))
        content = await _render(_labels, partial(_parcel, size), [record], format, dpi)
        return _printed(content, format, f"parcel-{record.data.sscc}")

    @get(
        "/pick-lists/{pick_list_id:int}", guards=[allow(*STAFF)], operation_id="printPickListParcelLabels", **LABEL_RESPONSE
    )
    async def pick_list_parcels(
        self, db: Database, request: Request, pick_list_id: int, format: SheetFormat = FORMAT, size: ParcelSize = SIZE,  # noqa: A002
        dpi: Dpi = DPI,
    ) -> Response[bytes]:
        """The parcel labels of a wave: every parcel of the pick list's orders as one PDF sheet or one ZPL stream."""
        async with db.read() as conn:
            records = await reads.pick_list_parcel_labels(conn, pick_list_id, visible_warehouse(request.user))
        content = await _render(_labels, partial(_parcel, size), records, format, dpi)
        return _printed(content, format, f"pick-list-{pick_list_id}-parcels")

    @get(
        "/routes/{route_id:int}", guards=[allow(*STAFF)], operation_id="printRouteParcelLabels", **LABEL_RESPONSE
    )
    async def route_parcels(
        self, db: Database, request: Request, route_id: int, format: SheetFormat = FORMAT, size: ParcelSize = SIZE,  # noqa: A002
        dpi: Dpi = DPI,
    ) -> Response[bytes]:
        """The parcel labels of a route in stop order, as one PDF sheet or one ZPL stream."""
        async with db.read() as conn:
            records = await reads.route_parcel_labels(conn, route_id, visible_warehouse(request.user))
        content = await _render(_labels, partial(_parcel, size), records, format, dpi)
        return _printed(content, format, f"route-{route_id}-parcels")

    @post(
        "/enrollment-card", guards=[allow(*MANAGERS)], operation_id="printEnrollmentCard", status_code=200,
        media_type=MEDIA_TYPES["pdf"], response_description="PDF by default; image/svg+xml or image/png by format",
    )  # fmt: skip
    async def enrollment_card(
        self, db: Database, request: Request, data: EnrollmentCardRequest, format: CardFormat = FORMAT, dpi: Dpi = DPI  # noqa: A002
    ) -> Response[bytes]:
        """The enrollment card (85.6×54 mm) of a live code: a QR for the handheld's camera and the code to type."""
        async with db.read() as conn:
            record = await reads.enrollment_card(
                conn, data.code, data.server_url, data.role, visible_warehouse(request.user),
                name=data.name, utc_offset_minutes=data.utc_offset_minutes,
            )  # fmt: skip
        content = await _render(_labels, enrollment_card, [record], format, dpi)
        return _printed(content, format, "enrollment-card")


# One table instead of a branch per document: path segment → the read that fills its record (the seller's
# documents also take the server's settings, which hold the seller's requisites).
ORDER_DOCUMENTS = {
    "pick-list": reads.pick_list,
    "packing-list": reads.packing_list,
    "invoice": reads.invoice,
    "waybill": reads.waybill,
}
SELLER_DOCUMENTS = {"packing-list", "invoice", "waybill"}


class DocumentController(Controller):
    path = "/documents"
    tags = ["printing"]

    async def _order_document(
        self, db: Database, request: Request, kind: str, order_id: int, format: str, lang: str  # noqa: A002
    ) -> Response[bytes]:
        async with db.read() as conn:
            args = (request.app.state.settings,) if kind in SELLER_DOCUMENTS else ()
            record = await ORDER_DOCUMENTS[kind](conn, order_id, visible_warehouse(request.user), *args)
        content = await _render(render_document, record, format, lang)
        return _printed(content, format, f"order-{order_id}-{kind}")

    @get(
        "/orders/{order_id:int}/pick-list", guards=[allow(*STAFF)], operation_id="printPickList", **DOCUMENT_RESPONSE
    )
    async def pick_list(
        self, db: Database, request: Request, order_id: int, format: DocumentFormat = FORMAT, lang: Lang = "ru"  # noqa: A002
    ) -> Response[bytes]:
        """The pick list of an order: lines by bin walking order, a barcode per bin and per item."""
        return await self._order_document(db, request, "pick-list", order_id, format, lang)

    @get(
        "/orders/{order_id:int}/packing-list", guards=[allow(*STAFF)], operation_id="printPackingList", **DOCUMENT_RESPONSE
    )
    async def packing_list(
        self, db: Database, request: Request, order_id: int, format: DocumentFormat = FORMAT, lang: Lang = "ru"  # noqa: A002
    ) -> Response[bytes]:
        """The packing list of an order: every parcel with its SSCC as GS1-128 and what it holds."""
        return await self._order_document(db, request, "packing-list", order_id, format, lang)

    @get(
        "/orders/{order_id:int}/invoice", guards=[allow(*STAFF)], operation_id="printInvoice", **DOCUMENT_RESPONSE
    )
    async def invoice(
        self, db: Database, request: Request, order_id: int, format: DocumentFormat = FORMAT, lang: Lang = "ru"  # noqa: A002
    ) -> Response[bytes]:
        """The invoice for payment of an order."""
        return await self._order_document(db, request, "invoice", order_id, format, lang)

    @get(
        "/orders/{order_id:int}/waybill", guards=[allow(*STAFF)], operation_id="printWaybill", **DOCUMENT_RESPONSE
    )
    async def waybill(
        self, db: Database, request: Request, order_id: int, format: DocumentFormat = FORMAT, lang: Lang = "ru"  # noqa: A002
    ) -> Response[bytes]:
        """The consignment note (ТОРГ-12 layout) of an order."""
        return await self._order_document(db, request, "waybill", order_id, format, lang)

    @get(
        "/routes/{route_id:int}/route-sheet", guards=[allow(*STAFF)], operation_id="printRouteSheet", **DOCUMENT_RESPONSE
    )
    async def route_sheet(
        self, db: Database, request: Request, route_id: int, format: DocumentFormat = FORMAT, lang: Lang = "ru"  # noqa: A002
    ) -> Response[bytes]:
        """The route sheet: stops in order, COD amounts and totals, a signature line per stop."""
        async with db.read() as conn:
            record = await reads.route_sheet(conn, route_id, visible_warehouse(request.user))
        content = await _render(render_document, record, format, lang)
        return _printed(content, format, f"route-{route_id}-route-sheet")


printing_router = Router(path="/api", route_handlers=[LabelController, DocumentController])
