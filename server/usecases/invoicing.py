"""Order to cash in the office: an invoice per order issued at shipment, bank transfers entered by
hand or imported from a bank statement, and closing orders that are delivered (or returned) and
settled. One transaction per use case; `issue_invoices` runs inside the caller's.

How dispatch issues invoices: whatever moves an order to `out_for_delivery` calls
`issue_invoice_for_order(conn, order, at)` (or `issue_invoices` for many) in the same transaction.
A push batch that dispatches (the loader's DispatchRoute) is covered by the courier part's flush,
which invoices every order the batch sent out for delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import now
from server.db.dialect import upsert
from server.db.order_store import append_events, load_order, save_status
from server.db.tables import SYNC, counters, invoices, order_events, orders, payments, route_stops, routes
from server.domain import bank_statement as statement
from server.domain import invoicing as rules
from server.domain.cash import paid_before
from server.domain.events import SYSTEM, Actor, OrderEvent
from server.domain.lifecycle import OrderStatus
from server.domain.orders import Order, PaymentKind, advance_order
from server.domain.refusals import NotFound, Refused
from server.syncapp import feeds
from server.usecases.returns import outstanding_returns
from sync import changelog
from sync.database import Database

NOT_INVOICEABLE = frozenset({OrderStatus.DRAFT, OrderStatus.CANCELLED})


def counter_name(year: int) -> str:
    """One invoice number series per year."""
    return f"invoice_number:{year}"


async def _take_numbers(conn: AsyncConnection, year: int, count: int) -> list[str]:
    """`count` consecutive invoice numbers of the year's series, in one statement (the counter row
    stays locked until commit, so committed numbers are unique and gap-free)."""
    statement_ = upsert(conn, counters).values(name=counter_name(year), value=count)
    top = (
        await conn.execute(
            statement_.on_conflict_do_update(index_elements=[counters.c.name], set_={"value": counters.c.value + count}).returning(counters.c.value)
        )
    ).scalar_one()
    return [rules.invoice_number(year, n) for n in range(top - count + 1, top + 1)]


async def issue_invoices(conn: AsyncConnection, shipped: Sequence[Order], at: datetime, actor: Actor = SYSTEM) -> dict[int, int]:
    """Issue the invoice of each shipped order that has none yet; return order id -> invoice id.

    Dated the shipment day, due by the order's payment terms. Payments recorded before (cash taken
    at the door before the invoice existed) are posted to it; a prepaid order's invoice is paid
    in full at issue (the e-shop holds that payment). A constant number of statements.
    """
    by_id = {o.id: o for o in shipped}
    ids = sorted(by_id)
    if not ids:
        return {}
    existing = {r.order_id: r.id for r in await conn.execute(select(invoices.c.id, invoices.c.order_id).where(invoices.c.order_id.in_(ids)))}
    todo = [by_id[i] for i in ids if i not in existing]
    if not todo:
        return existing
    numbers = await _take_numbers(conn, at.year, len(todo))
    recorded = {
        r.order_id: int(r[1])
        for r in await conn.execute(
            select(payments.c.order_id, func.sum(payments.c.amount))
            .where(payments.c.order_id.in_([o.id for o in todo]), payments.c.invoice_id.is_(None))
            .group_by(payments.c.order_id)
        )
    }
    rows, events = [], []
    for order, number in zip(todo, numbers, strict=True):
        invoice = rules.issue_invoice(number, at.date(), order.total, order.currency, order.payment.kind, order.payment.due_days)
        invoice = replace(invoice, paid=paid_before(order.payment.kind == PaymentKind.PREPAID, order.total, recorded.get(order.id, 0)))
        rows.append({"number": number, "order_id": order.id, "customer_id": order.customer_id, "issued_on": invoice.issued_on,
                     "due_on": invoice.due_on, "currency": invoice.currency, "total": invoice.total, "paid": invoice.paid,
                     "status": rules.invoice_status(invoice), "created_at": at})  # fmt: skip
        events.append({"order_id": order.id, "type": "invoice_issued", "actor_kind": actor.kind, "actor_id": actor.id,
                       "device_id": actor.device_id, "captured_at": None, "recorded_at": at,
                       "data": {"number": number, "total": invoice.total, "due_on": invoice.due_on.isoformat(), "paid": invoice.paid}})  # fmt: skip
    await conn.execute(insert(invoices), rows)
    created = {r.order_id: r.id for r in await conn.execute(select(invoices.c.id, invoices.c.order_id).where(invoices.c.order_id.in_([o.id for o in todo])))}
    if recorded:
        await conn.execute(
            update(payments).where(payments.c.order_id == bindparam("oid"), payments.c.invoice_id.is_(None)).values(invoice_id=bindparam("iid")),
            [{"oid": o, "iid": created[o]} for o in sorted(recorded)],
        )
    await conn.execute(insert(order_events), events)
    return existing | created


async def issue_invoice_for_order(conn: AsyncConnection, order: Order, at: datetime, actor: Actor = SYSTEM) -> int:
    """The invoice of one shipped order (issued now unless it exists); for dispatch to call."""
    return (await issue_invoices(conn, [order], at, actor))[order.id]


async def issue_invoice(db: Database, actor: Actor, order_id: int) -> int:
    """The office issues an order's invoice by hand (dispatch does it by itself)."""
    async with db.write() as conn:
        order = await load_order(conn, order_id, for_update=True)
        if order.status in NOT_INVOICEABLE:
            raise Refused("order_not_invoiceable", f"an order that is {order.status} gets no invoice")
        return await issue_invoice_for_order(conn, order, now(), actor)


# --- settling and closing ------------------------------------------------------------------------


async def close_if_ready(conn: AsyncConnection, order_id: int, actor: Actor, at: datetime) -> str | None:
    """Close a delivered (or returned) order once it is settled; return the new status if it moved."""
    order = await load_order(conn, order_id)
    inv = (await conn.execute(select(invoices.c.total, invoices.c.paid, invoices.c.status).where(invoices.c.order_id == order_id))).first()
    if inv is None:
        return None
    settled = inv.status == rules.InvoiceStatus.VOID or inv.paid >= inv.total
    waiting = bool((await outstanding_returns(conn, [order_id])).get(order_id))
    if not rules.ready_to_close(order.status, settled, waiting):
        return None
    closed, events = advance_order(order, OrderStatus.CLOSED, at, {"settled": True})
    await save_status(conn, closed)
    await append_events(conn, order_id, actor, events)
    return str(closed.status)


async def _route_doc_changes(conn: AsyncConnection, order_ids: Sequence[int], at: datetime) -> None:
    """A payment changes what the courier's phone shows as due at the door."""
    route_ids = sorted(set((await conn.execute(
        select(route_stops.c.route_id).join(routes, routes.c.id == route_stops.c.route_id)
        .where(route_stops.c.order_id.in_(list(order_ids)), routes.c.status != "completed")
    )).scalars()))  # fmt: skip
    if route_ids:
        await changelog.record(conn, SYNC, await feeds.route_changes(conn, route_ids), at)


@dataclass(frozen=True, slots=True)
class Transfer:
    """A bank transfer the office enters by hand."""

    invoice_number: str
    amount: int
    currency: str
    paid_on: date
    bank_ref: str | None = None
    payment_id: str | None = None  # the caller's id makes a retry safe


@dataclass(frozen=True, slots=True)
class Posted:
    payment_id: str
    invoice_number: str
    order_id: int
    amount: int
    balance: int
    invoice_status: str
    order_status: str
    created: bool = True


def _booked_at(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def _lock_invoices(conn: AsyncConnection, numbers: Sequence[str]) -> dict[str, object]:
    """Invoices by number, their orders locked first, then the invoices (the courier's pushes lock
    orders before invoices too, so neither waits for the other in a circle)."""
    heads = (await conn.execute(select(invoices.c.order_id).where(invoices.c.number.in_(list(numbers))))).scalars().all()
    if heads:
        await conn.execute(select(orders.c.id).where(orders.c.id.in_(sorted(heads))).order_by(orders.c.id).with_for_update())
    rows = await conn.execute(select(invoices).where(invoices.c.number.in_(list(numbers))).order_by(invoices.c.id).with_for_update())
    return {r.number: r for r in rows}


async def record_transfer(db: Database, actor: Actor, transfer: Transfer) -> Posted:
    """Post a bank transfer the office entered to its invoice; close the order if that settles it."""
    at = now()
    payment_id = transfer.payment_id or str(uuid.uuid4())
    async with db.write() as conn:
        earlier = (await conn.execute(select(payments).where(payments.c.id == payment_id))).first()
        if earlier is not None:
            if (earlier.amount, earlier.currency) != (transfer.amount, transfer.currency):
                raise Refused("payment_id_reused", "this payment id was used for another payment")
            inv = (await conn.execute(select(invoices).where(invoices.c.id == earlier.invoice_id))).one()
            status = (await conn.execute(select(orders.c.status).where(orders.c.id == earlier.order_id))).scalar_one()
            return Posted(payment_id, inv.number, earlier.order_id, earlier.amount, inv.total - inv.paid, inv.status, status, created=False)
        if transfer.bank_ref and (await conn.execute(select(payments.c.id).where(payments.c.bank_ref == transfer.bank_ref))).first():
            raise Refused("bank_ref_duplicate", f"a payment with bank reference {transfer.bank_ref!r} is already recorded")
        row = (await _lock_invoices(conn, [transfer.invoice_number])).get(transfer.invoice_number)
        if row is None:
            raise NotFound("invoice", transfer.invoice_number)
        if row.status == rules.InvoiceStatus.VOID:
            raise Refused("invoice_void", f"invoice {row.number} is void")
        invoice = rules.Invoice(row.number, row.issued_on, row.due_on, row.currency, row.total, row.paid)
        if transfer.amount > invoice.balance:
            raise Refused("amount_exceeds_balance", f"{row.number} has {invoice.balance} open; the transfer is {transfer.amount}",
                          balance=invoice.balance)  # fmt: skip
        invoice, _over = rules.post_payment(invoice, transfer.amount, transfer.currency)
        await _post(conn, actor, at, [(payment_id, row, transfer.amount, transfer.bank_ref, _booked_at(transfer.paid_on), "manual")])
        closed = await close_if_ready(conn, row.order_id, actor, at)
        await _route_doc_changes(conn, [row.order_id], at)
        status = closed or (await conn.execute(select(orders.c.status).where(orders.c.id == row.order_id))).scalar_one()
        return Posted(payment_id, row.number, row.order_id, transfer.amount, invoice.balance, rules.invoice_status(invoice), status)


async def _post(conn: AsyncConnection, actor: Actor, at: datetime, items: Sequence[tuple]) -> None:
    """Insert transfers and raise their invoices' paid amounts (items: id, invoice row, amount, bank ref, booked at, source)."""
    await conn.execute(
        insert(payments),
        [{"id": pid, "order_id": inv.order_id, "invoice_id": inv.id, "source": source, "method": "transfer", "amount": amount,
          "currency": inv.currency, "bank_ref": ref, "captured_at": booked, "recorded_at": at}
         for pid, inv, amount, ref, booked, source in items],
    )  # fmt: skip
    paid: dict[int, int] = {}
    for _pid, inv, amount, _ref, _booked, _source in items:
        paid[inv.id] = paid.get(inv.id, inv.paid) + amount
    totals = {inv.id: inv.total for _p, inv, *_ in items}
    await conn.execute(
        update(invoices).where(invoices.c.id == bindparam("iid")).values(paid=bindparam("paid"), status=bindparam("st")),
        [{"iid": i, "paid": p, "st": rules.InvoiceStatus.PAID if p >= totals[i] else rules.InvoiceStatus.OPEN} for i, p in sorted(paid.items())],
    )
    await append_many(conn, actor, at, [(inv.order_id, OrderEvent("payment_received", at, {"invoice": inv.number, "amount": amount,
                                                                                          "bank_ref": ref, "source": source}))
                                        for _pid, inv, amount, ref, _booked, source in items])  # fmt: skip


async def append_many(conn: AsyncConnection, actor: Actor, at: datetime, events: Sequence[tuple[int, OrderEvent]]) -> None:
    if events:
        await conn.execute(insert(order_events), [
            {"order_id": o, "type": e.type, "data": e.data, "actor_kind": actor.kind, "actor_id": actor.id, "device_id": actor.device_id,
             "captured_at": None, "recorded_at": at} for o, e in events])  # fmt: skip


# --- bank statements --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineResult:
    line_no: int
    status: str  # matched | already_imported | unmatched | ambiguous | amount_exceeds_balance | duplicate_in_file | <parse code>
    bank_ref: str = ""
    amount: int | None = None
    allocations: tuple[tuple[str, int], ...] = ()
    detail: str = ""

    @property
    def problem(self) -> bool:
        return self.status not in ("matched", "already_imported")


@dataclass(frozen=True, slots=True)
class StatementReport:
    imported: int  # lines posted
    amount: int  # their sum, minor units
    closed_orders: list[int] = field(default_factory=list)
    lines: list[LineResult] = field(default_factory=list)


def _as_dict(line: LineResult) -> dict:
    return {"line_no": line.line_no, "status": line.status, "bank_ref": line.bank_ref, "amount": line.amount,
            "allocations": [{"invoice": n, "amount": a} for n, a in line.allocations], "detail": line.detail}  # fmt: skip


async def import_bank_statement(db: Database, actor: Actor, text: str, currency: str, *, skip_problems: bool = False) -> StatementReport:
    """Import a CSV bank statement: each line matched to invoices by number and amount.

    All or nothing: a line that matches no invoice, matches ambiguously or cannot be read refuses the
    whole file (`statement_has_problems`, every line's result in `lines`), unless `skip_problems`,
    which posts the matched lines and reports the rest. A line whose bank reference was imported
    before is skipped (`already_imported`), so the same statement can be sent again safely.
    """
    lines, unreadable = statement.parse_statement(text)
    at = now()
    async with db.write() as conn:
        refs = sorted({line.bank_ref for line in lines})
        done = set((await conn.execute(select(payments.c.bank_ref).where(payments.c.bank_ref.in_(refs)))).scalars()) if refs else set()
        numbers = sorted({n for line in lines for n in statement.invoice_numbers(line.purpose)})
        rows = await _lock_invoices(conn, numbers) if numbers else {}
        open_ = {n: statement.OpenInvoice(n, r.total - r.paid, r.currency) for n, r in rows.items() if r.status == rules.InvoiceStatus.OPEN}
        results = [LineResult(p.line_no, p.code, detail=p.detail) for p in unreadable]
        seen: set[str] = set()
        for line in lines:
            if line.bank_ref in done:
                results.append(LineResult(line.line_no, "already_imported", line.bank_ref, line.amount))
                continue
            if line.bank_ref in seen:
                results.append(LineResult(line.line_no, "duplicate_in_file", line.bank_ref, line.amount, detail="the bank reference repeats"))
                continue
            seen.add(line.bank_ref)
            match = statement.match_line(line, currency, open_)
            if match.status == "matched":
                for number, amount in match.allocations:
                    open_[number] = replace(open_[number], balance=open_[number].balance - amount)
            results.append(LineResult(line.line_no, match.status, line.bank_ref, line.amount, match.allocations, match.detail))
        results.sort(key=lambda r: r.line_no)
        problems = [r for r in results if r.problem]
        if problems and not skip_problems:
            raise Refused("statement_has_problems", f"{len(problems)} of {len(results)} lines need a person; nothing was imported",
                          lines=[_as_dict(r) for r in results])  # fmt: skip
        by_line = {line.line_no: line for line in lines}
        items = []
        for r in results:
            if r.status == "matched":
                line = by_line[r.line_no]
                for number, amount in r.allocations:
                    items.append((str(uuid.uuid4()), rows[number], amount, line.bank_ref, _booked_at(line.booked_on), "bank"))
        closed = []
        if items:
            await _post(conn, actor, at, items)
            order_ids = sorted({inv.order_id for _p, inv, *_ in items})
            for order_id in order_ids:
                if await close_if_ready(conn, order_id, actor, at):
                    closed.append(order_id)
            await _route_doc_changes(conn, order_ids, at)
        posted = [r for r in results if r.status == "matched"]
        return StatementReport(len(posted), sum(r.amount or 0 for r in posted), closed, results)
