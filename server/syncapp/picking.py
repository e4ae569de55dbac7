"""Picking ops from handhelds: claim and release a pick list, pick a scanned item, short a line.

Claims are intents (refused if another device holds the list). Picks and shorts are facts: the
server re-checks what a wrong scan would be (wrong bin, wrong item, an unknown barcode, a marking
code seen before) and rejects those, but an over-pick or a pick for an order cancelled meanwhile
is recorded and reported as an exception with a put-back task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import bindparam, insert, or_, select, update

from server.db.tables import locations, marking_codes, pick_lines, pick_lists, product_barcodes, products
from server.domain import picking as rules
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, barcode_keys, resolve_scan
from server.syncapp import feeds
from server.syncapp.effects import Effects
from server.usecases.devices import DeviceRole
from sync.registry import Op, Rejected, op_type
from server.wire.common import Id

PICKERS = sorted({DeviceRole.PICKER, DeviceRole.WAREHOUSE})
Scan = Annotated[str, msgspec.Meta(min_length=1, max_length=400)]


class ClaimPickList(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pick_list_id: Id


class ReleasePickList(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pick_list_id: Id


class PickItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pick_line_id: Id
    bin: Scan  # the bin barcode scanned first
    code: Scan  # the item scanned: any of the product's barcodes, or a GS1 element string
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1  # scans of that barcode (entered when not one)


class ShortPick(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pick_line_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10**9)]
    reason: str  # bin_empty | damaged | not_found


@dataclass
class ListState:
    id: int
    warehouse_id: int
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    assigned_to: str | None


class Picking:
    """The pick lists, lines and barcodes a batch touches."""

    def __init__(self, effects: Effects) -> None:
        self.effects = effects
        self.lists: dict[int, ListState] = {}
        self.lines: dict[int, rules.PickLine] = {}
        self.barcodes: dict[str, BarcodeRef] = {}
        self.known_codes: set[str] = set()
        self.new_codes: list[dict[str, Any]] = []
        self.dirty_lines: set[int] = set()
        self.dirty_lists: set[int] = set()

    async def load(self, ops: Sequence[Op[Any]]) -> None:
        conn = self.effects.conn
        line_ids = {op.payload.pick_line_id for op in ops if isinstance(op.payload, (PickItem, ShortPick))}
        list_ids = {op.payload.pick_list_id for op in ops if isinstance(op.payload, (ClaimPickList, ReleasePickList))}
        if line_ids:
            list_ids |= set((await conn.execute(select(pick_lines.c.pick_list_id).where(pick_lines.c.id.in_(sorted(line_ids))))).scalars())
        if not list_ids:
            return
        for row in await conn.execute(select(pick_lists).where(pick_lists.c.id.in_(sorted(list_ids))).with_for_update()):
            self.lists[row.id] = ListState(row.id, row.warehouse_id, row.status, row.claimed_by, row.claimed_at, row.assigned_to)
        rows = await conn.execute(
            select(pick_lines, locations.c.barcode.label("bin_barcode"), products.c.marked)
            .join(locations, locations.c.id == pick_lines.c.location_id)
            .join(products, products.c.id == pick_lines.c.product_id)
            .where(pick_lines.c.pick_list_id.in_(sorted(self.lists)))
        )
        for r in rows:
            self.lines[r.id] = rules.PickLine(r.id, r.pick_list_id, r.order_id, r.line_no, r.product_id, r.location_id,
                                              r.bin_barcode, r.pick_seq, r.quantity, r.picked, r.shorted, r.short_reason, r.marked)  # fmt: skip
        product_ids = {line.product_id for line in self.lines.values()}
        # The lines' products, and whatever was scanned (so a wrong item is named as such).
        scanned_keys = sorted({key for op in ops if isinstance(op.payload, PickItem) for key in barcode_keys(op.payload.code)})
        for b in await conn.execute(
            select(product_barcodes).where(
                or_(product_barcodes.c.product_id.in_(sorted(product_ids)), product_barcodes.c.code.in_(scanned_keys))
            )
        ):
            self.barcodes[b.code] = BarcodeRef(b.product_id, b.multiplier)
        scanned = []
        for op in ops:
            if isinstance(op.payload, PickItem):
                try:
                    item = resolve_scan(op.payload.code, self.barcodes)
                except Refused:
                    continue
                if item.marking_code:
                    scanned.append(item.marking_code)
        if scanned:
            self.known_codes = set((await conn.execute(select(marking_codes.c.code).where(marking_codes.c.code.in_(scanned)))).scalars())
        order_ids = {line.order_id for line in self.lines.values()}
        await self.effects.load_orders(order_ids)
        warehouse = {row.warehouse_id for row in self.lists.values()}
        for warehouse_id in warehouse:
            lines = [line for line in self.lines.values() if self.lists[line.pick_list_id].warehouse_id == warehouse_id]
            await self.effects.load_stock(warehouse_id, [line.product_id for line in lines], [line.location_id for line in lines], order_ids)

    def pick_list(self, pick_list_id: int) -> ListState:
        row = self.lists.get(pick_list_id)
        if row is None or row.warehouse_id != self.effects.device.scope.get("warehouse_id"):
            raise Rejected("pick_list_unknown", f"no pick list {pick_list_id} in this device's warehouse")
        return row

    def line(self, line_id: int) -> rules.PickLine:
        line = self.lines.get(line_id)
        if line is None:
            raise Rejected("pick_line_unknown", f"no pick line {line_id}")
        self.pick_list(line.pick_list_id)
        return line

    def set_line(self, line: rules.PickLine) -> None:
        self.lines[line.id] = line
        self.dirty_lines.add(line.id)
        self.dirty_lists.add(line.pick_list_id)

    def order_progress(self, order_id: int, op: Op[Any]) -> None:
        """The order's stage after a pick or a short: picking once started, picked when every line is done."""
        lines = [line for line in self.lines.values() if line.order_id == order_id]
        self.effects.advance(order_id, OrderStatus.PICKING, op)
        if lines and all(line.done for line in lines):
            shorted = [{"line_no": li.line_no, "product_id": li.product_id, "shorted": li.shorted, "reason": li.short_reason}
                       for li in lines if li.shorted]  # fmt: skip
            self.effects.advance(order_id, OrderStatus.PICKED, op, {"backordered": shorted} if shorted else None)

    async def flush(self) -> None:
        conn = self.effects.conn
        if self.dirty_lines:
            await conn.execute(
                update(pick_lines).where(pick_lines.c.id == bindparam("lid"))
                .values(picked=bindparam("p"), shorted=bindparam("s"), short_reason=bindparam("r")),
                [{"lid": i, "p": self.lines[i].picked, "s": self.lines[i].shorted, "r": self.lines[i].short_reason}
                 for i in sorted(self.dirty_lines)],
            )  # fmt: skip
        for list_id in sorted(self.dirty_lists):
            row = self.lists[list_id]
            done = all(line.done for line in self.lines.values() if line.pick_list_id == list_id)
            values = {"updated_at": self.effects.at, "claimed_by": row.claimed_by, "claimed_at": row.claimed_at}
            if done:
                values["status"] = "done"
            await conn.execute(update(pick_lists).where(pick_lists.c.id == list_id).values(**values))
        if self.new_codes:
            await conn.execute(insert(marking_codes), self.new_codes)

    async def changes(self) -> list:
        return await feeds.pick_list_changes(self.effects.conn, sorted(self.dirty_lists)) if self.dirty_lists else []


def _picking(workspace) -> Picking:  # noqa: ANN001
    return workspace.picking


@op_type("ClaimPickList", ClaimPickList, fact=False, roles=PICKERS)
def claim_pick_list(workspace, op: Op[ClaimPickList]) -> None:  # noqa: ANN001
    picking = _picking(workspace)
    row = picking.pick_list(op.payload.pick_list_id)
    device = workspace.device.id
    try:
        rules.claim(row.claimed_by, row.assigned_to, device, row.status)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    row.claimed_by, row.claimed_at = device, workspace.at
    picking.dirty_lists.add(row.id)


@op_type("ReleasePickList", ReleasePickList, fact=False, roles=PICKERS)
def release_pick_list(workspace, op: Op[ReleasePickList]) -> None:  # noqa: ANN001
    picking = _picking(workspace)
    row = picking.pick_list(op.payload.pick_list_id)
    try:
        rules.release(row.claimed_by, workspace.device.id)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    row.claimed_by, row.claimed_at = None, None
    picking.dirty_lists.add(row.id)


@op_type("PickItem", PickItem, fact=True, roles=PICKERS)
def pick_item(workspace, op: Op[PickItem]) -> None:  # noqa: ANN001
    picking = _picking(workspace)
    effects: Effects = workspace.effects
    line = picking.line(op.payload.pick_line_id)
    try:
        item = resolve_scan(op.payload.code, picking.barcodes)
        if op.payload.bin != line.location_barcode:
            raise Refused("wrong_bin", "this is not the bin of the line")
        if item.product_id != line.product_id:
            raise Refused("wrong_item", "this item is not the line's product")
        if line.marked and item.marking_code is None:
            raise Refused("marking_code_required", "marked goods need the unit's DataMatrix")
        if item.marking_code and item.marking_code in picking.known_codes:
            raise Refused("marking_code_duplicate", "this marking code was already scanned")
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    units = item.units * op.payload.quantity
    outcome = rules.apply_pick(line, units)
    picking.set_line(outcome.line)
    warehouse_id = picking.lists[line.pick_list_id].warehouse_id
    order = effects.orders[line.order_id]
    if item.marking_code:
        picking.known_codes.add(item.marking_code)
        picking.new_codes.append({"code": item.marking_code, "full_code": item.full_code or op.payload.code,
                                  "product_id": line.product_id, "order_id": line.order_id, "parcel_id": None,
                                  "device_id": workspace.device.id, "seq": op.seq, "recorded_at": workspace.at})  # fmt: skip
    if order.status == OrderStatus.CANCELLED:
        # Picked after the office cancelled: keep the fact, put everything back.
        effects.open_exception("picked_after_cancel", {"pick_line_id": line.id, "units": units}, order_id=order.id, seq=op.seq)
        effects.add_task("put_back", warehouse_id, line.product_id, line.location_id, units, order.id)
        effects.record(order.id, "item_picked", op, {"pick_line_id": line.id, "units": units, "after_cancel": True})
        return
    if outcome.within:
        effects.take_from_bin(warehouse_id, line.location_id, line.product_id, line.order_id, outcome.within, op)
    if outcome.over:
        effects.open_exception("over_pick", {"pick_line_id": line.id, "product_id": line.product_id, "over": outcome.over,
                                             "quantity": line.quantity}, order_id=order.id, seq=op.seq)  # fmt: skip
        effects.add_task("put_back", warehouse_id, line.product_id, line.location_id, outcome.over, order.id)
    effects.record(order.id, "item_picked", op, {"pick_line_id": line.id, "product_id": line.product_id, "units": units,
                                                 "over": outcome.over, "marking_code": item.marking_code})  # fmt: skip
    picking.order_progress(order.id, op)


@op_type("ShortPick", ShortPick, fact=True, roles=PICKERS)
def short_pick(workspace, op: Op[ShortPick]) -> None:  # noqa: ANN001
    picking = _picking(workspace)
    effects: Effects = workspace.effects
    line = picking.line(op.payload.pick_line_id)
    try:
        shorted = rules.short_pick(line, op.payload.quantity, op.payload.reason)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    picking.set_line(shorted)
    warehouse_id = picking.lists[line.pick_list_id].warehouse_id
    order = effects.orders[line.order_id]
    if order.status != OrderStatus.CANCELLED:
        effects.release_reservation(warehouse_id, line.product_id, line.order_id, op.payload.quantity)
    effects.open_exception("short_pick", {"pick_line_id": line.id, "product_id": line.product_id, "location_id": line.location_id,
                                          "shorted": op.payload.quantity, "reason": op.payload.reason}, order_id=order.id, seq=op.seq)  # fmt: skip
    effects.add_task("recount", warehouse_id, line.product_id, line.location_id, 0, order.id)
    effects.record(order.id, "line_shorted", op, {"pick_line_id": line.id, "product_id": line.product_id,
                                                  "shorted": op.payload.quantity, "reason": op.payload.reason})  # fmt: skip
    if order.status != OrderStatus.CANCELLED:
        picking.order_progress(order.id, op)


OPS = (claim_pick_list, release_pick_list, pick_item, short_pick)
