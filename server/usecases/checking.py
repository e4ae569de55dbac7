"""A supervisor's way through a check discrepancy: accept the order as checked, with a reason."""

from __future__ import annotations

from sqlalchemy import update

from server.clock import now
from server.db.order_store import append_events, load_order, save_status
from server.db.tables import SYNC, exceptions
from server.domain.checking import override_reason
from server.domain.events import Actor
from server.domain.lifecycle import OrderStatus
from server.domain.orders import advance_order
from server.syncapp import feeds
from sync import changelog
from sync.database import Database


async def override_check(db: Database, actor: Actor, order_id: int, reason: str) -> None:
    """Move a picked order to checked despite a discrepancy; the open discrepancy is resolved."""
    reason = override_reason(reason)
    at = now()
    async with db.write() as conn:
        order = await load_order(conn, order_id, for_update=True)
        checked, events = advance_order(order, OrderStatus.CHECKED, at, {"override": reason})
        await save_status(conn, checked)
        await append_events(conn, order_id, actor, events)
        await conn.execute(
            update(exceptions)
            .where(exceptions.c.order_id == order_id, exceptions.c.kind == "check_discrepancy", exceptions.c.status == "open")
            .values(status="resolved", resolved_at=at, resolution="override", resolution_note=reason, resolved_by=actor.id)
        )
        changes = await feeds.check_task_changes(conn, [order_id]) + await feeds.pack_order_changes(conn, [order_id])
        await changelog.record(conn, SYNC, changes, at)
