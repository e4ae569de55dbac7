"""Goods coming back from the road: a parcel scanned back in at the warehouse restores stock into the
warehouse's returns bin (stock moves with cause `return`) and, when nothing of a failed or partly
refused order is still out, moves the order to `returned`.

The warehouse's handheld does this with the `ReturnParcel` op (server.syncapp.delivery); the office
with `POST /api/parcels/{sscc}/return`. Both apply `server.domain.delivery.plan_return` and the
helpers below, inside the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import now
from server.db.dialect import upsert
from server.db.order_store import append_events, load_order, save_status
from server.db.tables import SYNC, bin_stock, deliveries, exceptions, invoices, locations, parcel_items, parcels, product_stock, stock_moves
from server.domain import delivery as rules
from server.domain.events import Actor, OrderEvent
from server.domain.lifecycle import OrderStatus
from server.domain.loading import scanned_sscc
from server.domain.orders import advance_order
from server.domain.refusals import NotFound
from server.domain.stock import MoveCause
from server.syncapp import feeds
from sync import changelog
from sync.database import Database

RETURNS_ZONE = "returns"
RETURNS_CODE = "RETURNS"
RETURNS_PICK_SEQ = 999_999  # walked last: returned goods are looked at before they are picked again


def returns_barcode(warehouse_id: int) -> str:
    return f"LRET{warehouse_id:06d}"


async def outstanding_returns(conn: AsyncConnection, order_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Per order and product: units a customer refused at the door that are not back in stock yet."""
    ids = sorted(set(order_ids))
    due: dict[int, dict[int, int]] = defaultdict(dict)
    if not ids:
        return due
    for d in await conn.execute(select(deliveries.c.order_id, deliveries.c.refused)
                                .where(deliveries.c.order_id.in_(ids), deliveries.c.outcome == rules.Outcome.PARTIAL)):  # fmt: skip
        for line in d.refused:
            due[d.order_id][line["product_id"]] = due[d.order_id].get(line["product_id"], 0) + line["quantity"]
    for m in await conn.execute(
        select(stock_moves.c.order_id, stock_moves.c.product_id, func.sum(stock_moves.c.quantity))
        .where(stock_moves.c.order_id.in_(ids), stock_moves.c.cause == MoveCause.RETURN)
        .group_by(stock_moves.c.order_id, stock_moves.c.product_id)
    ):
        if m.order_id in due and m.product_id in due[m.order_id]:
            due[m.order_id][m.product_id] -= int(m[2])
    return {o: {p: q for p, q in per.items() if q > 0} for o, per in due.items()}


async def returns_bins(conn: AsyncConnection, warehouse_ids: Iterable[int], at: datetime) -> tuple[dict[int, int], list[int]]:
    """Each warehouse's returns bin, created where there is none yet; also the ids created."""
    wanted = sorted(set(warehouse_ids))
    found: dict[int, int] = {}
    if not wanted:
        return found, []
    for r in await conn.execute(
        select(locations.c.warehouse_id, func.min(locations.c.id))
        .where(locations.c.warehouse_id.in_(wanted), locations.c.zone == RETURNS_ZONE)
        .group_by(locations.c.warehouse_id)
    ):
        found[r.warehouse_id] = r[1]
    created = []
    for warehouse_id in wanted:
        if warehouse_id not in found:
            found[warehouse_id] = (
                await conn.execute(
                    insert(locations)
                    .values(warehouse_id=warehouse_id, code=RETURNS_CODE, barcode=returns_barcode(warehouse_id), zone=RETURNS_ZONE,
                            pick_seq=RETURNS_PICK_SEQ, created_at=at)  # fmt: skip
                    .returning(locations.c.id)
                )
            ).scalar_one()
            created.append(found[warehouse_id])
    return found, created


@dataclass(frozen=True, slots=True)
class Restock:
    warehouse_id: int
    order_id: int
    product_id: int
    quantity: int
    note: str


async def restock(conn: AsyncConnection, items: Sequence[Restock], actor: str, at: datetime) -> list[int]:
    """Put returned units into their warehouse's returns bin (one statement per table); return new bin ids."""
    if not items:
        return []
    bins, created = await returns_bins(conn, {i.warehouse_id for i in items}, at)
    per_bin: dict[tuple[int, int], int] = defaultdict(int)
    per_level: dict[tuple[int, int], int] = defaultdict(int)
    for i in items:
        per_bin[(bins[i.warehouse_id], i.product_id)] += i.quantity
        per_level[(i.warehouse_id, i.product_id)] += i.quantity
    b = upsert(conn, bin_stock).values(location_id=bindparam("loc"), product_id=bindparam("pid"), quantity=bindparam("q"))
    await conn.execute(b.on_conflict_do_update(index_elements=["location_id", "product_id"],
                                               set_={"quantity": bin_stock.c.quantity + b.excluded.quantity}),
                       [{"loc": loc, "pid": pid, "q": q} for (loc, pid), q in sorted(per_bin.items())])  # fmt: skip
    s = upsert(conn, product_stock).values(warehouse_id=bindparam("wid"), product_id=bindparam("pid"), on_hand=bindparam("q"), reserved=0)
    await conn.execute(s.on_conflict_do_update(index_elements=["warehouse_id", "product_id"],
                                               set_={"on_hand": product_stock.c.on_hand + s.excluded.on_hand}),
                       [{"wid": w, "pid": pid, "q": q} for (w, pid), q in sorted(per_level.items())])  # fmt: skip
    await conn.execute(
        insert(stock_moves),
        [{"warehouse_id": i.warehouse_id, "product_id": i.product_id, "from_location_id": None, "to_location_id": bins[i.warehouse_id],
          "quantity": i.quantity, "cause": MoveCause.RETURN, "reason": None, "note": i.note, "order_id": i.order_id, "actor": actor,
          "at": at} for i in items],
    )  # fmt: skip
    return created


def refund_exception(order_id: int, warehouse_id: int, paid: int, currency: str, at: datetime, **who: Any) -> dict[str, Any]:
    """An exception row: money was taken for an order whose invoice is void (goods came back)."""
    return {"kind": "refund_due", "status": "open", "warehouse_id": warehouse_id, "order_id": order_id,
            "device_id": who.get("device_id"), "seq": who.get("seq"), "detail": {"paid": paid, "currency": currency},
            "opened_at": at}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Returned:
    sscc: str
    order_id: int
    order_status: str
    parcel_status: str
    units: dict[int, int]
    exception: str | None


async def return_parcel(db: Database, actor: Actor, code: str, *, bound_warehouse: int | None = None) -> Returned:
    """The office's scan-in of a parcel that came back (the handheld's ReturnParcel does the same)."""
    from server.usecases.invoicing import close_if_ready

    sscc = scanned_sscc(code)
    at = now()
    async with db.write() as conn:
        owner = (await conn.execute(select(parcels.c.order_id, parcels.c.warehouse_id).where(parcels.c.sscc == sscc))).first()
        if owner is None or bound_warehouse not in (None, owner.warehouse_id):
            raise NotFound("parcel", sscc)
        # The order first, then its parcel: the courier's pushes lock in that order too.
        order = await load_order(conn, owner.order_id, for_update=True)
        row = (await conn.execute(select(parcels).where(parcels.c.sscc == sscc).with_for_update())).one()
        siblings = (await conn.execute(select(parcels.c.id, parcels.c.status).where(parcels.c.order_id == order.id, parcels.c.id != row.id))).all()
        contents = {i.product_id: i.quantity for i in await conn.execute(select(parcel_items).where(parcel_items.c.parcel_id == row.id))}
        outstanding = (await outstanding_returns(conn, [order.id])).get(order.id, {})
        out = {rules.PARCEL_LOADED, rules.PARCEL_REFUSED} if order.status == OrderStatus.FAILED else {rules.PARCEL_REFUSED}
        plan = rules.plan_return(order.status, row.status, contents, outstanding, sum(s.status in out for s in siblings))
        if plan.parcel_status != row.status:
            await conn.execute(update(parcels).where(parcels.c.id == row.id).values(status=plan.parcel_status))
        note = f"parcel {sscc} returned by {actor.id}"
        created = await restock(conn, [Restock(row.warehouse_id, order.id, p, q, note) for p, q in sorted(plan.units.items())], actor.id, at)
        events = [OrderEvent("parcel_returned", at, {"sscc": sscc, "units": [[p, q] for p, q in sorted(plan.units.items())]})]
        if plan.conflict:
            await conn.execute(insert(exceptions).values(kind=plan.conflict, status="open", warehouse_id=row.warehouse_id, order_id=order.id,
                                                         detail={"sscc": sscc, "order_status": str(order.status)}, opened_at=at))  # fmt: skip
        if plan.order_returned:
            was_failed = order.status == OrderStatus.FAILED
            order, moved = advance_order(order, OrderStatus.RETURNED, at, {"sscc": sscc})
            events += moved
            await save_status(conn, order)
            if was_failed:
                await void_invoices(conn, [order.id], at)
        await append_events(conn, order.id, actor, events)
        closed = await close_if_ready(conn, order.id, actor, at)
        if created:
            await changelog.record(conn, SYNC, await feeds.location_changes(conn, created), at)
        return Returned(sscc, order.id, closed or str(order.status), plan.parcel_status, plan.units, plan.conflict)


async def void_invoices(conn: AsyncConnection, order_ids: Sequence[int], at: datetime, **who: Any) -> None:
    """A failed order whose goods are back owes nothing: its invoice is void; money taken is due back."""
    rows = (await conn.execute(select(invoices).where(invoices.c.order_id.in_(list(order_ids)), invoices.c.status != "void"))).all()
    if not rows:
        return
    await conn.execute(update(invoices).where(invoices.c.id.in_([r.id for r in rows])).values(status="void"))
    refunds = [refund_exception(r.order_id, await _warehouse_of(conn, r.order_id), r.paid, r.currency, at, **who) for r in rows if r.paid > 0]
    if refunds:
        await conn.execute(insert(exceptions), refunds)


async def _warehouse_of(conn: AsyncConnection, order_id: int) -> int:
    from server.db.tables import orders

    return (await conn.execute(select(orders.c.warehouse_id).where(orders.c.id == order_id))).scalar_one()


def merge_units(into: dict[int, int], units: Mapping[int, int], sign: int = 1) -> None:
    for pid, qty in units.items():
        into[pid] = into.get(pid, 0) + sign * qty
