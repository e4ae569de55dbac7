"""Packing ops from handhelds: open a parcel under an SSCC from the device's block, scan items into
it, close it with a weight, put closed parcels on a pallet.

The server re-checks what the device checks (domain/packing.py): a label outside the device's
blocks or used before, packing before the check passed, an item that was not picked for the
order, more units than were picked (`over_pack`), a marking code that is not the order's. When
every picked unit is in a closed parcel the order is packed. Nothing here moves stock.

Parcels live in one registry per batch that loading shares, so a handheld doing every step can
pack and load in one push; a batch may also pick and pack (the registry reads picking's lines).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import msgspec
from sqlalchemy import bindparam, insert, or_, select, update

from server.db.tables import marking_codes, orders, pallets, parcel_items, parcels, pick_lines, pick_lists, product_barcodes, products, sscc_blocks
from server.domain import packing as rules
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, barcode_keys, resolve_scan
from server.syncapp import feeds
from server.syncapp.effects import Effects
from server.syncapp.picking import Picking
from server.settings import Settings
from server.usecases.packing import DEFAULT_BLOCK, LOW_WATER, PACKING_ROLES, issue_block, sscc_numbering
from sync.registry import ChangeRow, Device, Op, Rejected, op_type
from server.wire.common import Id

PACKERS = sorted(PACKING_ROLES)
Scan = Annotated[str, msgspec.Meta(min_length=1, max_length=400)]
SsccText = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]  # checked by the rule, so a bad one is `sscc_invalid`


class OpenParcel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    parcel_id: uuid.UUID  # made on the device, so the parcel exists offline
    order_id: Id
    sscc: SsccText  # the next label from one of this device's blocks


class PackItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    parcel_id: uuid.UUID
    code: Scan  # any of the product's barcodes, or a GS1 element string (marked goods: the unit's DataMatrix)
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1


class CloseParcel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    parcel_id: uuid.UUID
    weight_g: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class PalletizeParcels(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pallet_sscc: SsccText
    parcel_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=500)]


def device_scopes(device: Device) -> list[str]:
    """A packing device also pulls its private scope, where its SSCC blocks arrive."""
    return [feeds.device_scope(device.id)] if device.role in PACKING_ROLES else []


class Packing:
    """The parcels, pallets, SSCC blocks and pack state a batch touches (loading shares the parcels)."""

    def __init__(self, effects: Effects, picking: Picking, settings: Settings) -> None:
        self.effects = effects
        self.picking = picking
        self.settings = settings  # SSCC numbering for the top-up
        self.parcels: dict[str, rules.Parcel] = {}
        self.warehouse_of: dict[str, int] = {}
        self.times: dict[str, dict[str, Any]] = {}  # parcel id -> opened_at, closed_at, loaded_at, packed_by
        self.new: set[str] = set()
        self.dirty: set[str] = set()
        self.saved_items: set[tuple[str, int]] = set()
        self.orders_loaded: set[int] = set()
        self.lines: dict[int, dict[int, tuple[int, int, int]]] = {}  # order -> pick line -> (product, quantity, picked)
        self.marked: set[int] = set()
        self.barcodes: dict[str, BarcodeRef] = {}
        self.codes: dict[str, rules.MarkingCode] = {}
        self.packed_codes: dict[str, str] = {}  # marking code -> parcel id, written at flush
        self.blocks: list[rules.SsccBlock] = []
        self.used: set[str] = set()
        self.pallets: dict[str, int] = {}  # existing pallet SSCC -> warehouse
        self.new_pallets: list[dict[str, Any]] = []
        self.touched_orders: set[int] = set()
        self.touched_blocks: set[int] = set()
        self.label_ops = False  # the batch printed labels (or tried to): check the device's supply
        self.block_changes: list[ChangeRow] = []

    # --- loading (a constant number of queries per batch) ---------------------------------------
    async def load(self, ops: Sequence[Op[Any]]) -> None:
        payloads = [op.payload for op in ops if isinstance(op.payload, (OpenParcel, PackItem, CloseParcel, PalletizeParcels))]
        if not payloads:
            return
        conn = self.effects.conn
        ids = {str(p.parcel_id) for p in payloads if not isinstance(p, PalletizeParcels)}
        ids |= {str(i) for p in payloads if isinstance(p, PalletizeParcels) for i in p.parcel_ids}
        owners = {p.order_id for p in payloads if isinstance(p, OpenParcel)}
        if ids:
            owners |= set(await self.orders_of(parcels.c.id.in_(sorted(ids))))
        await self.load_orders(owners, [p.code for p in payloads if isinstance(p, PackItem)])
        labels = [p.sscc for p in payloads if isinstance(p, OpenParcel)] + [p.pallet_sscc for p in payloads if isinstance(p, PalletizeParcels)]
        self.label_ops = bool(labels)
        if labels:
            rows = await conn.execute(select(sscc_blocks).where(sscc_blocks.c.device_id == self.effects.device.id).order_by(sscc_blocks.c.id))
            self.blocks = [rules.SsccBlock(r.id, r.extension_digit, r.company_prefix, r.first_serial, r.last_serial) for r in rows]
            self.used |= set((await conn.execute(select(parcels.c.sscc).where(parcels.c.sscc.in_(labels)))).scalars())
            for p in await conn.execute(select(pallets.c.sscc, pallets.c.warehouse_id).where(pallets.c.sscc.in_(labels))):
                self.pallets[p.sscc] = p.warehouse_id
                self.used.add(p.sscc)

    async def orders_of(self, where: Any) -> list[int]:
        """The orders some parcels belong to (a parcel never changes order, so no lock is needed)."""
        return list((await self.effects.conn.execute(select(parcels.c.order_id).where(where).distinct())).scalars())

    async def _load_parcels(self, order_ids: list[int]) -> None:
        """Every parcel of some (locked) orders, with its contents."""
        conn = self.effects.conn
        rows = [r for r in await conn.execute(select(parcels).where(parcels.c.order_id.in_(order_ids))) if r.id not in self.parcels]
        items: dict[str, dict[int, int]] = {r.id: {} for r in rows}
        if items:
            for i in await conn.execute(select(parcel_items).where(parcel_items.c.parcel_id.in_(sorted(items)))):
                items[i.parcel_id][i.product_id] = i.quantity
                self.saved_items.add((i.parcel_id, i.product_id))
        for r in rows:
            self.parcels[r.id] = rules.Parcel(r.id, r.sscc, r.order_id, r.status, items[r.id], r.weight_g, r.pallet_sscc, r.route_id)
            self.warehouse_of[r.id] = r.warehouse_id
            self.times[r.id] = {"opened_at": r.opened_at, "closed_at": r.closed_at, "loaded_at": r.loaded_at, "packed_by": r.packed_by}
            self.used.add(r.sscc)

    async def load_orders(self, order_ids: Iterable[int], scans: Sequence[str] = ()) -> None:
        """Orders (locked) with their parcels and what packing checks against: picked units, marked
        products, barcodes and the scanned marking codes."""
        order_ids = sorted(set(order_ids) - self.orders_loaded)
        if not order_ids:
            return
        self.orders_loaded |= set(order_ids)
        conn = self.effects.conn
        # The order row is the lock over its parcels: two packers of one order (or a packer and a
        # loader) take turns, and each reads the parcels only once it holds the lock.
        await conn.execute(select(orders.c.id).where(orders.c.id.in_(order_ids)).order_by(orders.c.id).with_for_update())
        await self.effects.load_orders(order_ids)
        await self._load_parcels(order_ids)
        for r in await conn.execute(
            select(pick_lines.c.id, pick_lines.c.order_id, pick_lines.c.product_id, pick_lines.c.quantity, pick_lines.c.picked)
            .join(pick_lists, pick_lists.c.id == pick_lines.c.pick_list_id)
            .where(pick_lines.c.order_id.in_(order_ids), pick_lists.c.status != "cancelled")
        ):  # fmt: skip
            self.lines.setdefault(r.order_id, {})[r.id] = (r.product_id, r.quantity, r.picked)
        product_ids = sorted({li.product_id for o in order_ids if o in self.effects.orders for li in self.effects.orders[o].lines})
        self.marked |= set((await conn.execute(select(products.c.id).where(products.c.id.in_(product_ids), products.c.marked))).scalars())
        keys = sorted({k for code in scans for k in barcode_keys(code)})
        for b in await conn.execute(select(product_barcodes).where(or_(product_barcodes.c.product_id.in_(product_ids), product_barcodes.c.code.in_(keys)))):
            self.barcodes[b.code] = BarcodeRef(b.product_id, b.multiplier)
        scanned = []
        for code in scans:
            try:
                item = resolve_scan(code, self.barcodes)
            except Refused:
                continue
            if item.marking_code:
                scanned.append(item.marking_code)
        if scanned:
            for c in await conn.execute(select(marking_codes.c.code, marking_codes.c.order_id, marking_codes.c.parcel_id)
                                        .where(marking_codes.c.code.in_(sorted(set(scanned))))):  # fmt: skip
                self.codes[c.code] = rules.MarkingCode(c.order_id, c.parcel_id)

    # --- reading the batch's state ---------------------------------------------------------------
    def order_pack(self, order_id: int) -> rules.OrderPack:
        """What the order has to pack now, counting picks made earlier in this same batch."""
        lines = dict(self.lines.get(order_id, {}))
        for line in self.picking.lines.values():
            if line.order_id == order_id and self.picking.lists[line.pick_list_id].status != "cancelled":
                lines[line.id] = (line.product_id, line.quantity, line.picked)
        picked: dict[int, int] = {}
        for product_id, quantity, units in lines.values():
            picked[product_id] = picked.get(product_id, 0) + min(units, quantity)
        order = self.effects.orders[order_id]
        parcels_ = tuple(p for p in self.parcels.values() if p.order_id == order_id)
        return rules.OrderPack(order_id, str(order.status), picked, parcels_, frozenset(self.marked))

    def code(self, code: str) -> rules.MarkingCode | None:
        if code in self.codes:
            return self.codes[code]
        for row in self.picking.new_codes:  # picked earlier in this batch
            if row["code"] == code:
                return rules.MarkingCode(row["order_id"], None)
        return None

    def parcel(self, parcel_id: uuid.UUID | str) -> rules.Parcel:
        key = str(parcel_id)
        parcel = self.parcels.get(key)
        if parcel is None or self.warehouse_of[key] != self.effects.device.scope.get("warehouse_id"):
            raise Rejected("parcel_unknown", f"no parcel {key} in this device's warehouse")
        return parcel

    def by_sscc(self, sscc: str) -> list[rules.Parcel]:
        """The parcel with this SSCC, or the parcels on the pallet with it, in the device's warehouse."""
        warehouse = self.effects.device.scope.get("warehouse_id")
        found = [p for p in self.parcels.values() if p.sscc == sscc and self.warehouse_of[p.id] == warehouse]
        return found or [p for p in self.parcels.values() if p.pallet_sscc == sscc and self.warehouse_of[p.id] == warehouse]

    def parcels_of(self, order_id: int) -> list[rules.Parcel]:
        return [p for p in self.parcels.values() if p.order_id == order_id]

    # --- changing it -----------------------------------------------------------------------------
    def set_parcel(self, parcel: rules.Parcel, **times: Any) -> None:
        self.parcels[parcel.id] = parcel
        self.times[parcel.id].update(times)
        self.dirty.add(parcel.id)
        self.touched_orders.add(parcel.order_id)

    def add_parcel(self, parcel: rules.Parcel, warehouse_id: int, device_id: str, at: Any) -> None:
        self.parcels[parcel.id] = parcel
        self.warehouse_of[parcel.id] = warehouse_id
        self.times[parcel.id] = {"opened_at": at, "closed_at": None, "loaded_at": None, "packed_by": device_id}
        self.new.add(parcel.id)
        self.use_label(parcel.sscc)
        self.touched_orders.add(parcel.order_id)

    def use_label(self, sscc: str) -> None:
        self.used.add(sscc)
        self.touched_blocks |= {b.id for b in self.blocks if b.serial_of(sscc) is not None}

    # --- writing (one statement per kind) --------------------------------------------------------
    def _row(self, parcel_id: str) -> dict[str, Any]:
        p = self.parcels[parcel_id]
        return {"pid": p.id, "status": str(p.status), "weight_g": p.weight_g, "pallet_sscc": p.pallet_sscc, "route_id": p.route_id,
                "closed_at": self.times[p.id]["closed_at"], "loaded_at": self.times[p.id]["loaded_at"]}  # fmt: skip

    async def flush(self) -> None:
        conn = self.effects.conn
        if self.new:
            await conn.execute(insert(parcels), [
                {"id": r["pid"], "sscc": self.parcels[i].sscc, "order_id": self.parcels[i].order_id, "warehouse_id": self.warehouse_of[i],
                 "status": r["status"], "weight_g": r["weight_g"], "pallet_sscc": r["pallet_sscc"], "route_id": r["route_id"],
                 "packed_by": self.times[i]["packed_by"], "opened_at": self.times[i]["opened_at"], "closed_at": r["closed_at"],
                 "loaded_at": r["loaded_at"]}
                for i in sorted(self.new) for r in [self._row(i)]
            ])  # fmt: skip
        changed = sorted(self.dirty - self.new)
        if changed:
            await conn.execute(
                update(parcels).where(parcels.c.id == bindparam("pid"))
                .values(status=bindparam("status"), weight_g=bindparam("weight_g"), pallet_sscc=bindparam("pallet_sscc"),
                        route_id=bindparam("route_id"), closed_at=bindparam("closed_at"), loaded_at=bindparam("loaded_at")),
                [self._row(i) for i in changed],
            )  # fmt: skip
        items = [(i, product, units) for i in sorted(self.new | self.dirty) for product, units in sorted(self.parcels[i].items.items())]
        fresh = [{"parcel_id": i, "product_id": p, "quantity": q} for i, p, q in items if (i, p) not in self.saved_items]
        if fresh:
            await conn.execute(insert(parcel_items), fresh)
        kept = [{"i": i, "p": p, "q": q} for i, p, q in items if (i, p) in self.saved_items]
        if kept:
            await conn.execute(
                update(parcel_items).where(parcel_items.c.parcel_id == bindparam("i"), parcel_items.c.product_id == bindparam("p"))
                .values(quantity=bindparam("q")), kept,
            )  # fmt: skip
        if self.packed_codes:
            await conn.execute(update(marking_codes).where(marking_codes.c.code == bindparam("c")).values(parcel_id=bindparam("parcel")),
                               [{"c": c, "parcel": p} for c, p in sorted(self.packed_codes.items())])  # fmt: skip
        if self.new_pallets:
            await conn.execute(insert(pallets), self.new_pallets)
        if self.label_ops:
            await self._top_up()

    async def _top_up(self) -> None:
        """Report the touched blocks' next serial to the device, and give it a fresh block when it runs
        low — or its first one, if it tried to label a parcel without any."""
        conn, device = self.effects.conn, self.effects.device
        rows = (await conn.execute(select(sscc_blocks).where(sscc_blocks.c.device_id == device.id).order_by(sscc_blocks.c.id))).all()
        following = await feeds.sscc_next_serials(conn, rows)
        left = sum(max(r.last_serial - following[r.id] + 1, 0) for r in rows)
        self.block_changes = await feeds.sscc_block_changes(conn, sorted(self.touched_blocks)) if self.touched_blocks else []
        if left < LOW_WATER:
            try:
                _block, changes = await issue_block(conn, device.id, DEFAULT_BLOCK, self.effects.at, sscc_numbering(self.settings))
            except Refused as refusal:  # the prefix is misconfigured or its serials are spent: a supervisor must act
                self.effects.open_exception("sscc_range_exhausted", {"message": refusal.message})
            else:
                self.block_changes += changes

    async def changes(self) -> list[ChangeRow]:
        moved = {o for o in self.effects.changed_orders if str(self.effects.orders[o].status) in
                 ("checked", "packed", "loaded", "cancelled")}  # fmt: skip
        orders = sorted(self.touched_orders | moved)
        return self.block_changes + (await feeds.pack_order_changes(self.effects.conn, orders) if orders else [])


def _packing(workspace) -> Packing:  # noqa: ANN001
    return workspace.packing


def _order(workspace, order_id: int):  # noqa: ANN001, ANN202
    order = workspace.effects.orders.get(order_id)
    if order is None or order.warehouse_id != workspace.device.scope.get("warehouse_id"):
        raise Rejected("order_unknown", f"no order {order_id} in this device's warehouse")
    return order


@op_type("OpenParcel", OpenParcel, fact=True, roles=PACKERS)
def open_parcel(workspace, op: Op[OpenParcel]) -> None:  # noqa: ANN001
    packing = _packing(workspace)
    order = _order(workspace, op.payload.order_id)
    parcel_id = str(op.payload.parcel_id)
    if parcel_id in packing.parcels:
        raise Rejected("parcel_exists", f"parcel {parcel_id} was opened before")
    try:
        parcel = rules.open_parcel(packing.order_pack(order.id), parcel_id, op.payload.sscc, packing.blocks, packing.used)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    packing.add_parcel(parcel, order.warehouse_id, workspace.device.id, workspace.at)
    workspace.effects.record(order.id, "parcel_opened", op, {"parcel_id": parcel_id, "sscc": parcel.sscc})


@op_type("PackItem", PackItem, fact=True, roles=PACKERS)
def pack_item(workspace, op: Op[PackItem]) -> None:  # noqa: ANN001
    packing = _packing(workspace)
    parcel = packing.parcel(op.payload.parcel_id)
    try:
        item = resolve_scan(op.payload.code, packing.barcodes)
        codes = {item.marking_code: found} if item.marking_code and (found := packing.code(item.marking_code)) else {}
        units = rules.check_pack(packing.order_pack(parcel.order_id), parcel, item, op.payload.quantity, codes)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    packing.set_parcel(rules.pack(parcel, item.product_id, units))
    if item.marking_code:
        packing.codes[item.marking_code] = rules.MarkingCode(parcel.order_id, parcel.id)
        packing.packed_codes[item.marking_code] = parcel.id
    workspace.effects.record(parcel.order_id, "item_packed", op, {"parcel_id": parcel.id, "sscc": parcel.sscc, "product_id": item.product_id,
                                                                  "units": units, "marking_code": item.marking_code})  # fmt: skip


@op_type("CloseParcel", CloseParcel, fact=True, roles=PACKERS)
def close_parcel(workspace, op: Op[CloseParcel]) -> None:  # noqa: ANN001
    packing = _packing(workspace)
    effects: Effects = workspace.effects
    parcel = packing.parcel(op.payload.parcel_id)
    try:
        closed = rules.close_parcel(parcel, op.payload.weight_g)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    packing.set_parcel(closed, closed_at=workspace.at)
    effects.record(parcel.order_id, "parcel_closed", op, {"parcel_id": parcel.id, "sscc": parcel.sscc, "weight_g": closed.weight_g,
                                                          "items": [[p, q] for p, q in sorted(closed.items.items())]})  # fmt: skip
    order = effects.orders[parcel.order_id]
    if order.status == OrderStatus.CANCELLED:
        effects.open_exception("packed_after_cancel", {"parcel_id": parcel.id, "sscc": parcel.sscc}, order_id=order.id, seq=op.seq)
        return
    pack = packing.order_pack(order.id)
    if rules.fully_packed(pack):
        done = sorted((p for p in pack.parcels if p.status != rules.ParcelStatus.OPEN), key=lambda p: p.sscc)
        effects.advance(order.id, OrderStatus.PACKED, op, {"parcels": len(done), "ssccs": [p.sscc for p in done]})


@op_type("PalletizeParcels", PalletizeParcels, fact=True, roles=PACKERS)
def palletize_parcels(workspace, op: Op[PalletizeParcels]) -> None:  # noqa: ANN001
    packing = _packing(workspace)
    warehouse_id = workspace.device.scope.get("warehouse_id")
    pallet = op.payload.pallet_sscc
    chosen = [packing.parcel(i) for i in dict.fromkeys(op.payload.parcel_ids)]
    new_pallet = pallet not in packing.pallets and not any(row["sscc"] == pallet for row in packing.new_pallets)
    try:
        if new_pallet:
            rules.check_new_sscc(pallet, packing.blocks, packing.used)
        elif packing.pallets.get(pallet, warehouse_id) != warehouse_id:
            raise Refused("sscc_used", f"pallet {pallet} belongs to another warehouse")
        stacked = rules.palletize(pallet, chosen)
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    if new_pallet:
        packing.use_label(pallet)
        packing.new_pallets.append({"sscc": pallet, "warehouse_id": warehouse_id, "device_id": workspace.device.id, "created_at": workspace.at})
    for parcel in stacked:
        packing.set_parcel(parcel)
    for order_id in sorted({p.order_id for p in stacked}):
        workspace.effects.record(order_id, "parcels_palletized", op,
                                 {"pallet_sscc": pallet, "ssccs": sorted(p.sscc for p in stacked if p.order_id == order_id)})  # fmt: skip


OPS = (open_parcel, pack_item, close_parcel, palletize_parcels)
