"""Shared effects of a push batch on the central record: order stages and timeline, stock,
exceptions and warehouse tasks. Loaded once, changed in memory by any op family, written once
with one statement per kind of change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.order_store import load_orders_many
from server.db.tables import bin_stock, exceptions, order_events, orders, product_stock, reservations, stock_moves, warehouse_tasks
from server.domain.lifecycle import OrderStatus
from server.domain.orders import Order, advance_order
from server.domain.refusals import Refused
from sync.registry import Device, Op


@dataclass
class StockCell:
    on_hand: int
    reserved: int


class Effects:
    """The central record as one batch sees and changes it."""

    def __init__(self, conn: AsyncConnection, device: Device, at: datetime) -> None:
        self.conn, self.device, self.at = conn, device, at
        self.orders: dict[int, Order] = {}
        self._dirty_orders: set[int] = set()
        self.events: list[dict[str, Any]] = []
        self.levels: dict[tuple[int, int], StockCell] = {}  # (warehouse, product)
        self.bins: dict[tuple[int, int], int] = {}  # (location, product)
        self.reserved: dict[tuple[int, int], int] = {}  # (order, product)
        self._dirty_levels: set[tuple[int, int]] = set()
        self._dirty_bins: set[tuple[int, int]] = set()
        self._dirty_reserved: set[tuple[int, int]] = set()
        self.moves: list[dict[str, Any]] = []
        self.exceptions: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []

    # --- loading (one query per kind) -----------------------------------------------------
    async def load_orders(self, order_ids: Iterable[int]) -> None:
        wanted = sorted(set(order_ids) - self.orders.keys())
        if wanted:
            self.orders.update(await load_orders_many(self.conn, wanted))

    async def load_stock(self, warehouse_id: int, product_ids: Iterable[int], location_ids: Iterable[int], order_ids: Iterable[int]) -> None:
        products = sorted(set(product_ids))
        if not products:
            return
        rows = await self.conn.execute(
            select(product_stock).where(product_stock.c.warehouse_id == warehouse_id, product_stock.c.product_id.in_(products))
            .order_by(product_stock.c.product_id).with_for_update()
        )  # fmt: skip
        for r in rows:
            self.levels[(r.warehouse_id, r.product_id)] = StockCell(r.on_hand, r.reserved)
        locations = sorted(set(location_ids))
        if locations:
            for r in await self.conn.execute(
                select(bin_stock).where(bin_stock.c.location_id.in_(locations), bin_stock.c.product_id.in_(products))
            ):
                self.bins[(r.location_id, r.product_id)] = r.quantity
        orders_ = sorted(set(order_ids))
        if orders_:
            for r in await self.conn.execute(
                select(reservations).where(reservations.c.order_id.in_(orders_), reservations.c.product_id.in_(products))
            ):
                self.reserved[(r.order_id, r.product_id)] = r.quantity

    # --- changes ------------------------------------------------------------------------------
    def record(self, order_id: int, event: str, op: Op[Any], data: dict[str, Any]) -> None:
        """An event on an order's timeline, with the device and both clocks."""
        self.events.append(
            {"order_id": order_id, "type": event, "data": data, "actor_kind": "device", "actor_id": self.device.name,
             "device_id": self.device.id, "captured_at": op.captured_at, "recorded_at": self.at}  # fmt: skip
        )

    def advance(self, order_id: int, target: OrderStatus, op: Op[Any], data: dict[str, Any] | None = None) -> bool:
        """Move an order to a later stage if the lifecycle allows it now; report whether it moved."""
        order = self.orders[order_id]
        try:
            moved, events = advance_order(order, target, self.at, data)
        except Refused:
            return False
        self.orders[order_id] = moved
        self._dirty_orders.add(order_id)
        for event in events:
            self.record(order_id, event.type, op, event.data)
        return True

    def take_from_bin(self, warehouse_id: int, location_id: int, product_id: int, order_id: int, units: int, op: Op[Any]) -> None:
        """Picked units leave their bin and the warehouse's stock and consume the order's reservation."""
        have = self.bins.get((location_id, product_id), 0)
        if have < units:
            # The record shows fewer units than were physically picked: keep the fact, count the bin.
            self.open_exception("bin_count_mismatch", {"location_id": location_id, "product_id": product_id,
                                                       "recorded": have, "picked": units}, order_id=order_id, seq=op.seq)  # fmt: skip
            self.add_task("recount", warehouse_id, product_id, location_id, 0, order_id)
        self.bins[(location_id, product_id)] = max(have - units, 0)
        self._dirty_bins.add((location_id, product_id))
        cell = self.levels.setdefault((warehouse_id, product_id), StockCell(0, 0))
        held = self.reserved.get((order_id, product_id), 0)
        consumed = min(units, held)
        cell.on_hand -= units
        cell.reserved -= consumed
        self.reserved[(order_id, product_id)] = held - consumed
        self._dirty_levels.add((warehouse_id, product_id))
        self._dirty_reserved.add((order_id, product_id))
        self.moves.append(
            {"warehouse_id": warehouse_id, "product_id": product_id, "from_location_id": location_id, "to_location_id": None,
             "quantity": units, "cause": "pick", "reason": None, "note": f"{self.device.name} seq {op.seq}",
             "order_id": order_id, "actor": self.device.id, "at": self.at}  # fmt: skip
        )

    def release_reservation(self, warehouse_id: int, product_id: int, order_id: int, units: int) -> int:
        """Give reserved units back to available stock (a short pick: they are not there)."""
        held = self.reserved.get((order_id, product_id), 0)
        released = min(units, held)
        cell = self.levels.setdefault((warehouse_id, product_id), StockCell(0, 0))
        cell.reserved -= released
        self.reserved[(order_id, product_id)] = held - released
        self._dirty_levels.add((warehouse_id, product_id))
        self._dirty_reserved.add((order_id, product_id))
        return released

    def open_exception(self, kind: str, detail: dict[str, Any], *, order_id: int | None = None, seq: int | None = None,
                       warehouse_id: int | None = None) -> None:  # fmt: skip
        self.exceptions.append(
            {"kind": kind, "status": "open", "warehouse_id": warehouse_id or self.device.scope.get("warehouse_id"),
             "order_id": order_id, "device_id": self.device.id, "seq": seq, "detail": detail, "opened_at": self.at}  # fmt: skip
        )

    def add_task(self, kind: str, warehouse_id: int, product_id: int, location_id: int | None, quantity: int, order_id: int | None) -> None:
        self.tasks.append(
            {"warehouse_id": warehouse_id, "kind": kind, "status": "open", "product_id": product_id, "location_id": location_id,
             "quantity": quantity, "order_id": order_id, "created_at": self.at}  # fmt: skip
        )

    @property
    def changed_orders(self) -> list[int]:
        """Orders whose stage this batch moved."""
        return sorted(self._dirty_orders)

    # --- writing (one statement per kind) --------------------------------------------------------
    async def flush(self) -> None:
        conn = self.conn
        if self._dirty_orders:
            await conn.execute(
                update(orders).where(orders.c.id == bindparam("oid")).values(status=bindparam("st"), updated_at=bindparam("at")),
                [{"oid": i, "st": str(self.orders[i].status), "at": self.at} for i in sorted(self._dirty_orders)],
            )
        if self.events:
            await conn.execute(insert(order_events), self.events)
        if self._dirty_bins:
            await conn.execute(
                update(bin_stock).where(bin_stock.c.location_id == bindparam("loc"), bin_stock.c.product_id == bindparam("pid"))
                .values(quantity=bindparam("q")),
                [{"loc": loc, "pid": pid, "q": self.bins[(loc, pid)]} for loc, pid in sorted(self._dirty_bins)],
            )  # fmt: skip
        if self._dirty_levels:
            await conn.execute(
                update(product_stock).where(product_stock.c.warehouse_id == bindparam("wid"), product_stock.c.product_id == bindparam("pid"))
                .values(on_hand=bindparam("oh"), reserved=bindparam("rs")),
                [{"wid": w, "pid": p, "oh": self.levels[(w, p)].on_hand, "rs": self.levels[(w, p)].reserved}
                 for w, p in sorted(self._dirty_levels)],
            )  # fmt: skip
        if self._dirty_reserved:
            keep = [(o, p) for o, p in sorted(self._dirty_reserved) if self.reserved[(o, p)] > 0]
            gone = [(o, p) for o, p in sorted(self._dirty_reserved) if self.reserved[(o, p)] <= 0]
            if keep:
                await conn.execute(
                    update(reservations).where(reservations.c.order_id == bindparam("oid"), reservations.c.product_id == bindparam("pid"))
                    .values(quantity=bindparam("q")),
                    [{"oid": o, "pid": p, "q": self.reserved[(o, p)]} for o, p in keep],
                )  # fmt: skip
            if gone:
                await conn.execute(
                    delete(reservations).where(reservations.c.order_id == bindparam("oid"), reservations.c.product_id == bindparam("pid")),
                    [{"oid": o, "pid": p} for o, p in gone],
                )
        if self.moves:
            await conn.execute(insert(stock_moves), self.moves)
        if self.exceptions:
            await conn.execute(insert(exceptions), self.exceptions)
        if self.tasks:
            await conn.execute(insert(warehouse_tasks), self.tasks)
