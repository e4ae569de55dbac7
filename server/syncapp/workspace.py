"""The server's workspace for one push batch: state loaded once, effects written once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import exceptions, scans
from server.settings import Settings
from server.syncapp import feeds
from server.syncapp.checking import Checking
from server.syncapp.courier import Courier
from server.syncapp.effects import Effects
from server.syncapp.scans import SCAN_COLUMNS, RecordScan
from server.syncapp.loading import Loading
from server.syncapp.packing import Packing
from server.syncapp.picking import Picking
from sync import bulk
from sync.bulk import Statement
from sync.registry import ChangeRow, Device, Op

# A device clock further off than this is flagged for a supervisor. Ordering never depends on
# it: server time orders events and device time is kept as data (DESIGN principle 9).
SKEW_TOLERANCE_MS = 5 * 60 * 1000


class TallyWorkspace:
    """Collects what a batch's handlers decide; `flush` writes it with one statement per table."""

    def __init__(self, conn: AsyncConnection, device: Device, at: datetime, settings: Settings) -> None:
        self.conn = conn
        self.device = device
        self.at = at
        self.changes: list[ChangeRow] = []
        self.scans: list[tuple] = []  # rows in SCAN_COLUMNS order
        self.exceptions: list[dict[str, Any]] = []
        self.effects = Effects(conn, device, at)
        self.picking = Picking(self.effects)
        self.checking = Checking(self.effects)
        self.packing = Packing(self.effects, self.picking, settings)
        self.loading = Loading(self.effects, self.packing)
        self.courier = Courier(self.effects)

    async def load(self, ops: Sequence[Op[Any]]) -> None:
        """Load what this batch's handlers need (one query per kind of state), and flag a skewed clock."""
        skew = self.device.clock_skew_ms
        if skew is not None and abs(skew) > SKEW_TOLERANCE_MS:
            e = exceptions.c
            already = await self.conn.execute(
                select(e.id).where(e.device_id == self.device.id, e.kind == "clock_skew", e.status == "open").limit(1)
            )
            if already.first() is None:
                self.open_exception("clock_skew", {"skew_ms": skew, "device": self.device.name})
        # Raw scans need no state, and a batch is mostly scans: the loaders look only at the rest.
        ops = [op for op in ops if not isinstance(op.payload, RecordScan)]
        await self.picking.load(ops)
        await self.checking.load(ops)
        await self.packing.load(ops)
        await self.loading.load(ops)
        await self.courier.load(ops)

    def open_exception(self, kind: str, detail: dict[str, Any], *, order_id: int | None = None, seq: int | None = None) -> None:
        """Record a contradiction for a supervisor (written with the batch)."""
        self.exceptions.append(
            {"kind": kind, "status": "open", "warehouse_id": self.device.scope.get("warehouse_id"), "order_id": order_id,
             "device_id": self.device.id, "seq": seq, "detail": detail, "opened_at": self.at}  # fmt: skip
        )

    def blobs_needed(self, op: Op[Any]) -> Sequence[str]:
        return getattr(op.payload, "blobs", ())

    async def flush(self) -> list[Statement]:
        """Write the batch's effects; the raw scans go back to the engine to send with the op log."""
        if self.exceptions:
            await self.conn.execute(insert(exceptions), self.exceptions)
        await self.picking.flush()
        await self.checking.flush()
        await self.packing.flush()
        await self.loading.flush()
        await self.effects.flush()
        await self.courier.flush()  # after the shared effects: it adds returned stock on top of them
        self.changes += await self.picking.changes()
        self.changes += await self.packing.changes()
        self.changes += await self.loading.changes()
        self.changes += await self.courier.changes()
        if self.effects.changed_orders:
            self.changes += await feeds.check_task_changes(self.conn, self.effects.changed_orders)
        return [bulk.insert(self.conn.dialect.name, scans, SCAN_COLUMNS, self.scans)] if self.scans else []
