"""CheckOrder: a checker's count of a picked order. Passed: the order is checked. A difference:
the count is kept, the order stays picked, and a `check_discrepancy` exception blocks packing
until a re-check passes or a supervisor overrides with a reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from sqlalchemy import insert, select

from server.db.tables import order_checks, order_events, pick_lines, product_barcodes
from server.domain import checking as rules
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, barcode_keys, resolve_scan
from server.syncapp.effects import Effects
from server.usecases.devices import DeviceRole
from sync.registry import Op, Rejected, op_type
from server.wire.common import Id

CHECKERS = sorted({DeviceRole.CHECKER, DeviceRole.WAREHOUSE})


class CountedItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=400)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1


class CheckOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    order_id: Id
    items: Annotated[list[CountedItem], msgspec.Meta(max_length=2000)]


class Checking:
    def __init__(self, effects: Effects) -> None:
        self.effects = effects
        self.barcodes: dict[str, BarcodeRef] = {}
        self.pickers: dict[int, set[str]] = {}
        self.shorted: dict[int, dict[int, int]] = {}
        self.rows: list[dict[str, Any]] = []

    async def load(self, ops: Sequence[Op[Any]]) -> None:
        checks = [op for op in ops if isinstance(op.payload, CheckOrder)]
        if not checks:
            return
        conn = self.effects.conn
        order_ids = sorted({op.payload.order_id for op in checks})
        await self.effects.load_orders(order_ids)
        keys = sorted({k for op in checks for item in op.payload.items for k in barcode_keys(item.code)})
        product_ids = sorted({line.product_id for o in self.effects.orders.values() for line in o.lines})
        for b in await conn.execute(
            select(product_barcodes).where(product_barcodes.c.code.in_(keys) | product_barcodes.c.product_id.in_(product_ids))
        ):
            self.barcodes[b.code] = BarcodeRef(b.product_id, b.multiplier)
        for r in await conn.execute(
            select(order_events.c.order_id, order_events.c.device_id)
            .where(order_events.c.order_id.in_(order_ids), order_events.c.type == "item_picked").distinct()
        ):
            self.pickers.setdefault(r.order_id, set()).add(r.device_id)
        for r in await conn.execute(select(pick_lines.c.order_id, pick_lines.c.product_id, pick_lines.c.shorted).where(pick_lines.c.order_id.in_(order_ids))):
            per = self.shorted.setdefault(r.order_id, {})
            per[r.product_id] = per.get(r.product_id, 0) + r.shorted

    async def flush(self) -> None:
        if self.rows:
            await self.effects.conn.execute(insert(order_checks), self.rows)


@op_type("CheckOrder", CheckOrder, fact=True, roles=CHECKERS)
def check_order(workspace, op: Op[CheckOrder]) -> None:  # noqa: ANN001
    checking: Checking = workspace.checking
    effects: Effects = workspace.effects
    order = effects.orders.get(op.payload.order_id)
    if order is None or order.warehouse_id != workspace.device.scope.get("warehouse_id"):
        raise Rejected("order_unknown", f"no order {op.payload.order_id} in this device's warehouse")
    if order.status in (OrderStatus.CONFIRMED, OrderStatus.PICKING, OrderStatus.DRAFT):
        raise Rejected("order_not_picked", f"order {order.number} is {order.status}: nothing to check yet")
    counted: dict[int, int] = {}
    try:
        rules.check_checker(workspace.device.id, checking.pickers.get(order.id, set()))
        for item in op.payload.items:
            scanned = resolve_scan(item.code, checking.barcodes)
            counted[scanned.product_id] = counted.get(scanned.product_id, 0) + scanned.units * item.quantity
    except Refused as refusal:
        raise Rejected(refusal.code, refusal.message) from refusal
    expected = rules.expected_units(order.quantities(), checking.shorted.get(order.id, {}))
    lines = rules.compare(expected, counted)
    ok = rules.passed(lines)
    detail = [{"product_id": li.product_id, "expected": li.expected, "counted": li.counted, "status": str(li.status)} for li in lines]
    checking.rows.append({"order_id": order.id, "device_id": workspace.device.id, "seq": op.seq,
                          "result": "passed" if ok else "discrepancy", "lines": detail, "checked_at": workspace.at,
                          "captured_at": op.captured_at})  # fmt: skip
    effects.record(order.id, "order_counted", op, {"result": "passed" if ok else "discrepancy", "lines": detail})
    if order.status != OrderStatus.PICKED:
        return  # a count of a cancelled or already checked order is kept as a fact, nothing moves
    if ok:
        effects.advance(order.id, OrderStatus.CHECKED, op)
    else:
        effects.open_exception("check_discrepancy", {"lines": [d for d in detail if d["status"] != "ok"]}, order_id=order.id, seq=op.seq)


OPS = (check_order,)
