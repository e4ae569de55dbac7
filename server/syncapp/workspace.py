"""The server's workspace for one push batch: state loaded once, effects written once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import scans
from sync.registry import ChangeRow, Device, Op


class TallyWorkspace:
    """Collects what a batch's handlers decide; `flush` writes it with one statement per table."""

    def __init__(self, conn: AsyncConnection, device: Device, at: datetime) -> None:
        self.conn = conn
        self.device = device
        self.at = at
        self.changes: list[ChangeRow] = []
        self.scans: list[dict[str, Any]] = []

    async def load(self, ops: Sequence[Op[Any]]) -> None:
        """Nothing to preload for raw scans; execution ops load their pick lists here."""

    def blobs_needed(self, op: Op[Any]) -> Sequence[str]:
        return getattr(op.payload, "blobs", ())

    async def flush(self) -> None:
        if self.scans:
            await self.conn.execute(insert(scans), self.scans)
