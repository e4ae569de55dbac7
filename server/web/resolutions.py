"""A supervisor's resolution of an exception: accept, re-pick, write off, or a note.

Each one updates the exception and, when the exception concerns an order, appends an event to
that order's timeline in the same transaction, so the decision is as traceable as the fact.

(A use case living beside the pages that call it; its natural home is `server/usecases/`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update

from server.clock import now
from server.db.order_store import append_events
from server.db.tables import exceptions, orders
from server.domain.events import Actor, OrderEvent
from server.domain.lifecycle import OrderStatus
from server.domain.refusals import Refused
from server.reads.supervision import Visibility, visible_exception
from server.usecases.checking import override_check
from sync.database import Database

NOTE_MAX = 2000


class Action(StrEnum):
    ACCEPT = "accept"  # the field fact stands as recorded
    REPICK = "repick"  # the order's lines are to be picked again
    WRITE_OFF = "write_off"  # the missing or damaged units are written off
    NOTE = "note"  # a remark; the exception stays as it is


@dataclass(frozen=True, slots=True)
class Decision:
    """What a resolution changes: the exception's new state and the timeline event it records."""

    status: str
    resolution: str | None
    note: str
    event: str


def decide(current_status: str, action: str, note: str) -> Decision:
    """The rules: an open exception may be resolved once; a note needs text and never closes anything."""
    if action not in Action.__members__.values():
        raise Refused("action_invalid", f"action must be one of: {', '.join(a.value for a in Action)}")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Refused("note_too_long", f"a note has at most {NOTE_MAX} characters")
    if action == Action.NOTE:
        if not note:
            raise Refused("note_required", "a note needs text")
        return Decision(current_status, None, note, "exception_noted")
    if current_status != "open":
        raise Refused("exception_resolved", "this exception is already resolved")
    if action == Action.WRITE_OFF and not note:
        raise Refused("note_required", "a write-off needs a reason")
    return Decision("resolved", str(action), note, "exception_resolved")


async def resolve_exception(db: Database, actor: Actor, vis: Visibility, exception_id: int, action: str, note: str) -> None:
    """Apply a supervisor's decision to one exception they may see."""
    at = now()
    async with db.read() as conn:
        found = await visible_exception(conn, vis, exception_id)
    decision = decide(found.status, action, note)
    if found.kind == "check_discrepancy" and action == Action.ACCEPT and found.order_id is not None:
        # Accepting a check discrepancy is the check override: the order moves on to checked and
        # its timeline records the override with the reason (one rule, one use case).
        async with db.read() as conn:
            status = (await conn.execute(select(orders.c.status).where(orders.c.id == found.order_id))).scalar_one()
        if status == OrderStatus.PICKED:
            if not decision.note:
                raise Refused("override_reason_required", "accepting a check discrepancy needs a reason")
            await override_check(db, actor, found.order_id, decision.note)
            return
    await _record(db, actor, found.id, found.kind, found.order_id, decision, at)


async def _record(db: Database, actor: Actor, exception_id: int, kind: str, order_id: int | None, decision: Decision, at: datetime) -> None:
    e = exceptions.c
    async with db.write() as conn:
        row = (await conn.execute(select(e.status, e.resolution_note).where(e.id == exception_id).with_for_update())).one()
        decision = decide(row.status, decision.resolution or Action.NOTE, decision.note)  # again, under the lock
        if decision.resolution is None:
            notes = "\n".join(n for n in (row.resolution_note, f"{actor.id}: {decision.note}") if n)
            await conn.execute(update(exceptions).where(e.id == exception_id).values(resolution_note=notes))
        else:
            await conn.execute(
                update(exceptions)
                .where(e.id == exception_id)
                .values(status=decision.status, resolution=decision.resolution, resolution_note=decision.note or None,
                        resolved_at=at, resolved_by=actor.id)  # fmt: skip
            )
        if order_id is not None:
            data = {"exception_id": exception_id, "kind": kind, "action": decision.resolution or "note", "note": decision.note}
            await append_events(conn, order_id, actor, [OrderEvent(decision.event, at, data)])
