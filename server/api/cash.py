"""HTTP handlers for order to cash in the office: invoices, bank transfers and statements,
receivables, courier cash and handovers, parcels scanned back in, and the proof of delivery.

Couriers do their part from the phone through sync ops (server.syncapp.delivery); these are the
office's and the supervisor's side. Handlers stay thin: parse, call a use case or a read, respond.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec
from anyio import to_thread
from litestar import Controller, Request, Response, Router, get, post
from litestar.params import Parameter
from sqlalchemy import select

from labels.documents import MEDIA_TYPES as DOCUMENT_TYPES
from labels.documents import render_document
from labels.documents.errors import DocumentError
from server.api.auth import STAFF, allow, visible_warehouse
from server.clock import now
from server.db.tables import couriers
from server.domain.refusals import NotFound, Refused
from server.reads import cash as cash_reads
from server.reads import receivables as receivable_reads
from server.usecases import cash, invoicing, returns
from server.usecases.tokens import Role
from server.wire.common import Currency, Id, MinorUnits
from sync.database import Database

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)  # close handovers, set cash limits
BOOKKEEPERS = (Role.ADMIN, Role.OFFICE, Role.INTEGRATION)  # invoices and bank transfers (1C posts statements too)
Positive = Annotated[int, msgspec.Meta(gt=0, le=10**15, description="Minor units: a positive integer, never a float")]


# --- wire types ---------------------------------------------------------------------------------


class HandoverCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    courier_id: Id
    counted: MinorUnits
    currency: Currency
    cashier: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    handover_id: uuid.UUID | None = None  # the caller's id makes a retry safe


class HandoverClose(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class CashLimit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    cash_limit: MinorUnits | None


class HandoverResult(msgspec.Struct, frozen=True):
    id: str
    courier_id: int
    currency: str
    expected: int
    counted: int
    difference: int
    payments: int


class TransferCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    invoice_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    amount: Positive
    currency: Currency
    paid_on: date
    bank_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    payment_id: uuid.UUID | None = None


class PostedPayment(msgspec.Struct, frozen=True):
    payment_id: str
    invoice_number: str
    order_id: int
    amount: int
    balance: int
    invoice_status: str
    order_status: str


class StatementLineResult(msgspec.Struct, frozen=True):
    line_no: int
    status: str
    bank_ref: str
    amount: int | None
    allocations: list[dict]
    detail: str


class StatementResult(msgspec.Struct, frozen=True):
    imported: int
    amount: int
    closed_orders: list[int]
    lines: list[StatementLineResult]


class ParcelReturned(msgspec.Struct, frozen=True):
    sscc: str
    order_id: int
    order_status: str
    parcel_status: str
    units: dict[str, int]  # product id -> units put into the returns bin
    exception: str | None


# --- scope: a supervisor bound to a warehouse reaches that warehouse's couriers only -------------


async def _check_courier(db: Database, request: Request, courier_id: int) -> None:
    """404 for a courier of a warehouse the caller is not bound to (as if it did not exist)."""
    bound = visible_warehouse(request.user)
    if bound is None:
        return
    async with db.read() as conn:
        warehouse_id = (await conn.execute(select(couriers.c.warehouse_id).where(couriers.c.id == courier_id))).scalar()
    if warehouse_id != bound:
        raise NotFound("courier", courier_id)


# --- handlers -------------------------------------------------------------------------------------


class CashController(Controller):
    path = "/api/cash"
    tags = ["cash"]

    @get("/couriers", guards=[allow(*STAFF)], operation_id="listCourierCash")
    async def couriers(self, db: Database, request: Request, day: date | None = None) -> list[dict]:
        """Per courier and shift day: COD planned and due, collected (cash, card), handed over, cash on hand."""
        async with db.read() as conn:
            rows = await cash_reads.courier_days(conn, day or now().date(), visible_warehouse(request.user))
        return [{**vars(r), "collected": r.collected} for r in rows]

    @get("/couriers/{courier_id:int}/on-hand", guards=[allow(*STAFF)], operation_id="getCourierCashOnHand")
    async def on_hand(self, db: Database, request: Request, courier_id: int) -> dict[str, int]:
        """Cash the courier holds now, per currency (cash payments no handover accounted for)."""
        await _check_courier(db, request, courier_id)
        async with db.read() as conn:
            return await cash_reads.cash_on_hand(conn, courier_id)

    @post("/couriers/{courier_id:int}/limit", guards=[allow(*MANAGERS)], operation_id="setCourierCashLimit", status_code=200)
    async def limit(self, db: Database, request: Request, courier_id: int, data: CashLimit) -> CashLimit:
        """Set the cash a courier may carry before supervisors are warned (null: no limit)."""
        await _check_courier(db, request, courier_id)
        await cash.set_cash_limit(db, courier_id, data.cash_limit)
        return data

    @get("/handovers", guards=[allow(*STAFF)], operation_id="listCashHandovers")
    async def handovers(self, db: Database, request: Request, courier_id: int | None = None,
                        status: Literal["open", "closed"] | None = None, day: date | None = None) -> list[dict]:  # fmt: skip
        """Handovers newest first: expected from the payments, counted by the cashier, the difference."""
        async with db.read() as conn:
            rows = await cash_reads.handovers(conn, courier_id=courier_id, status=status, day=day, warehouse_id=visible_warehouse(request.user))
        return [dict(zip(r.__slots__, (getattr(r, s) for s in r.__slots__), strict=True)) for r in rows]

    @post("/handovers", guards=[allow(*STAFF)], operation_id="createCashHandover", status_code=201)
    async def hand_over(self, db: Database, request: Request, data: HandoverCreate) -> Response[HandoverResult]:
        """The cashier counted a courier's cash: every unclaimed cash payment is accounted for."""
        await _check_courier(db, request, data.courier_id)
        done = await cash.hand_over_cash(db, request.user.actor, str(data.handover_id or uuid.uuid4()), data.courier_id, data.counted,
                                         data.currency, data.cashier)  # fmt: skip
        body = HandoverResult(done.id, done.courier_id, done.currency, done.expected, done.counted, done.difference, done.payments)
        return Response(body, status_code=201 if done.created else 200)

    @post("/handovers/{handover_id:str}/close", guards=[allow(*MANAGERS)], operation_id="closeCashHandover", status_code=200)
    async def close(self, db: Database, request: Request, handover_id: str, data: HandoverClose) -> dict[str, str]:
        """A supervisor closes a handover with a note that explains any difference."""
        bound = visible_warehouse(request.user)
        await cash.close_handover(db, request.user.actor, handover_id, data.note, None if bound is None else frozenset({bound}))
        return {"id": handover_id, "status": "closed"}


class PaymentController(Controller):
    path = "/api/payments"
    tags = ["cash"]

    @post("/", guards=[allow(*BOOKKEEPERS)], operation_id="recordBankTransfer", status_code=201)
    async def transfer(self, db: Database, request: Request, data: TransferCreate) -> Response[PostedPayment]:
        """A bank transfer entered by hand, posted to its invoice (in part or in full)."""
        posted = await invoicing.record_transfer(db, request.user.actor, invoicing.Transfer(
            data.invoice_number, data.amount, data.currency, data.paid_on, data.bank_ref,
            str(data.payment_id) if data.payment_id else None))  # fmt: skip
        body = PostedPayment(posted.payment_id, posted.invoice_number, posted.order_id, posted.amount, posted.balance,
                             posted.invoice_status, posted.order_status)  # fmt: skip
        return Response(body, status_code=201 if posted.created else 200)

    @post("/bank-statement", guards=[allow(*BOOKKEEPERS)], operation_id="importBankStatement", status_code=200)
    async def statement(self, db: Database, request: Request, currency: Annotated[str, Parameter(pattern="^[A-Z]{3}$")] = "RUB",
                        skip_problems: bool = False) -> StatementResult:  # fmt: skip
        """Import a CSV statement (columns date, amount, purpose, bank_ref): lines matched to invoices by the
        number in the purpose and the amount. Any line that needs a person refuses the whole file
        (`statement_has_problems`, with every line's result) unless `skip_problems=true`."""
        raw = await request.body()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1251")  # what Russian bank clients export when not UTF-8
        report = await invoicing.import_bank_statement(db, request.user.actor, text, currency, skip_problems=skip_problems)
        return StatementResult(report.imported, report.amount, report.closed_orders, [
            StatementLineResult(r.line_no, r.status, r.bank_ref, r.amount, [{"invoice": n, "amount": a} for n, a in r.allocations], r.detail)
            for r in report.lines])  # fmt: skip


class InvoiceController(Controller):
    path = "/api"
    tags = ["cash"]

    @post("/orders/{order_id:int}/invoice", guards=[allow(*BOOKKEEPERS)], operation_id="issueInvoice", status_code=201)
    async def issue(self, db: Database, request: Request, order_id: int) -> receivable_reads.InvoiceRead:
        """Issue an order's invoice now (dispatch issues it by itself); an existing one is returned."""
        await invoicing.issue_invoice(db, request.user.actor, order_id)
        async with db.read() as conn:
            return await receivable_reads.invoice_of_order(conn, order_id)

    @get("/invoices", guards=[allow(*STAFF)], operation_id="listInvoices")
    async def list_invoices(self, db: Database, request: Request, order_id: int | None = None, customer_id: int | None = None,
                            status: Literal["open", "paid", "void"] | None = None, number: str | None = None) -> list[receivable_reads.InvoiceRead]:  # fmt: skip
        """Invoices newest first with the payments posted to them."""
        async with db.read() as conn:
            return await receivable_reads.invoices_of(conn, order_id=order_id, customer_id=customer_id, status=status, number=number,
                                                      warehouse_id=visible_warehouse(request.user))  # fmt: skip

    @get("/receivables", guards=[allow(*STAFF)], operation_id="listReceivables")
    async def receivables(self, db: Database, request: Request, as_of: date | None = None,
                          customer_id: int | None = None) -> list[receivable_reads.CustomerReceivable]:  # fmt: skip
        """What each customer owes on open invoices, by aging bucket (days past due: 0-30, 31-60, 61-90, 90+)."""
        async with db.read() as conn:
            return await receivable_reads.receivables(conn, as_of or now().date(), customer_id=customer_id,
                                                      warehouse_id=visible_warehouse(request.user))  # fmt: skip


class ReturnController(Controller):
    path = "/api/parcels"
    tags = ["cash"]

    @post("/{sscc:str}/return", guards=[allow(*STAFF)], operation_id="returnParcel", status_code=200)
    async def return_parcel(self, db: Database, request: Request, sscc: str) -> ParcelReturned:
        """A parcel back at the warehouse: its goods go into the returns bin; a failed or partly refused
        order with nothing left out is returned (the dock's handheld sends `ReturnParcel` instead)."""
        done = await returns.return_parcel(db, request.user.actor, sscc, bound_warehouse=visible_warehouse(request.user))
        return ParcelReturned(done.sscc, done.order_id, done.order_status, done.parcel_status, {str(k): v for k, v in done.units.items()},
                              done.exception)  # fmt: skip


class ProofOfDeliveryController(Controller):
    path = "/api/documents"
    tags = ["printing"]

    @get("/orders/{order_id:int}/proof-of-delivery", guards=[allow(*STAFF)], operation_id="printProofOfDelivery")
    async def proof(self, db: Database, request: Request, order_id: int, format: Literal["html", "pdf"] = "pdf",  # noqa: A002
                    lang: Literal["ru", "en"] = "ru") -> Response[bytes]:  # fmt: skip
        """The proof of delivery of an order: time, recipient, signature image, geolocation, parcels."""
        async with db.read() as conn:
            record = await cash_reads.proof_of_delivery(conn, order_id, visible_warehouse(request.user))
        try:
            content = await to_thread.run_sync(render_document, record, format, lang)
        except DocumentError as error:
            raise Refused("document_unprintable", str(error)) from None
        return Response(content, media_type=DOCUMENT_TYPES[format], headers={
            "Content-Disposition": f'inline; filename="order-{order_id}-proof-of-delivery.{format}"', "Cache-Control": "private, no-store"})  # fmt: skip


cash_router = Router(path="/", route_handlers=[CashController, PaymentController, InvoiceController, ReturnController, ProofOfDeliveryController])
