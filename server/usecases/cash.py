"""End of shift in the office: the cashier counts what a courier hands over, the difference to the
cash the courier's payments recorded is kept, and a supervisor closes the handover with a note.

The courier's phone can record the same handover (the `HandOverCash` op, server.syncapp.delivery);
both claim every cash payment of the courier not yet handed over (`payments.handover_id`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import now
from server.db.order_store import append_events
from server.db.tables import cash_handovers, couriers, exceptions, payments
from server.domain import cash as rules
from server.domain.events import Actor, OrderEvent
from server.domain.refusals import NotFound, Refused
from sync.database import Database

CASH_ALERT = "cash_limit_exceeded"


@dataclass(frozen=True, slots=True)
class Handover:
    id: str
    courier_id: int
    currency: str
    expected: int
    counted: int
    difference: int
    payments: int  # cash payments it accounted for
    created: bool = True


async def open_cash_alerts(conn: AsyncConnection, courier_ids: Iterable[int]) -> dict[int, list[int]]:
    """Per courier, the open `cash_limit_exceeded` exceptions (the courier id is in their detail)."""
    wanted = set(courier_ids)
    found: dict[int, list[int]] = {}
    for r in await conn.execute(select(exceptions.c.id, exceptions.c.detail).where(exceptions.c.kind == CASH_ALERT, exceptions.c.status == "open")):
        courier = (r.detail or {}).get("courier_id")
        if courier in wanted:
            found.setdefault(courier, []).append(r.id)
    return found


async def resolve_cash_alerts(conn: AsyncConnection, alert_ids: Iterable[int], at: datetime, by: str) -> None:
    """The courier handed the cash over: the limit warning is resolved."""
    ids = sorted(set(alert_ids))
    if ids:
        await conn.execute(update(exceptions).where(exceptions.c.id.in_(ids))
                           .values(status="resolved", resolved_at=at, resolution="handed_over", resolved_by=by))  # fmt: skip


async def hand_over_cash(db: Database, actor: Actor, handover_id: str, courier_id: int, counted: int, currency: str,
                         cashier: str) -> Handover:  # fmt: skip
    """Record a handover counted at the cash desk; it accounts for every unclaimed cash payment."""
    at = now()
    async with db.write() as conn:
        courier = (await conn.execute(select(couriers.c.id, couriers.c.cash_limit).where(couriers.c.id == courier_id))).first()
        if courier is None:
            raise NotFound("courier", courier_id)
        earlier = (await conn.execute(select(cash_handovers).where(cash_handovers.c.id == handover_id))).first()
        if earlier is not None:
            if (earlier.courier_id, earlier.counted, earlier.currency) != (courier_id, counted, currency):
                raise Refused("handover_id_reused", "this handover id was used for another handover")
            n = (await conn.execute(select(func.count()).where(payments.c.handover_id == handover_id))).scalar_one()
            return Handover(earlier.id, earlier.courier_id, earlier.currency, earlier.expected, earlier.counted, earlier.difference, n, False)
        p = payments.c
        unclaimed = (await conn.execute(
            select(p.id, p.amount).where(p.courier_id == courier_id, p.method == rules.Method.CASH, p.handover_id.is_(None), p.currency == currency)
            .order_by(p.id).with_for_update()
        )).all()  # fmt: skip
        reconciliation = rules.reconcile(sum(r.amount for r in unclaimed), counted)
        if unclaimed:
            await conn.execute(update(payments).where(p.id.in_([r.id for r in unclaimed])).values(handover_id=handover_id))
        await conn.execute(cash_handovers.insert().values(
            id=handover_id, courier_id=courier_id, shift_day=at.date(), currency=currency, expected=reconciliation.expected,
            counted=counted, difference=reconciliation.difference, device_id=None, seq=None, counted_by=cashier, status="open",
            captured_at=at, recorded_at=at,
        ))  # fmt: skip
        left = (await conn.execute(select(func.coalesce(func.sum(p.amount), 0)).where(
            p.courier_id == courier_id, p.method == rules.Method.CASH, p.handover_id.is_(None)))).scalar_one()  # fmt: skip
        if not rules.over_limit(int(left), courier.cash_limit):
            await resolve_cash_alerts(conn, (await open_cash_alerts(conn, [courier_id])).get(courier_id, []), at, actor.id)
        return Handover(handover_id, courier_id, currency, reconciliation.expected, counted, reconciliation.difference, len(unclaimed))


CLOSE_NOTE_MAX = 2000


async def close_handover(db: Database, actor: Actor, handover_id: str, note: str,
                         warehouse_ids: frozenset[int] | None = None) -> list[int]:  # fmt: skip
    """A supervisor closes a reconciled handover with a note (required: it explains any difference).

    ``warehouse_ids``: the warehouses the person may act on (None: all); another warehouse's handover
    is answered like one that does not exist. The closing is an event on the timeline of every order
    whose cash the handover accounted for, in the same transaction; returns those orders.
    """
    note = note.strip()
    if not note:
        raise Refused("close_note_required", "closing a handover needs a note")
    if len(note) > CLOSE_NOTE_MAX:
        raise Refused("note_too_long", f"a note has at most {CLOSE_NOTE_MAX} characters")
    at = now()
    h = cash_handovers.c
    async with db.write() as conn:
        row = (await conn.execute(
            select(h.status, h.courier_id, h.currency, h.expected, h.counted, h.difference, couriers.c.warehouse_id)
            .join(couriers, couriers.c.id == h.courier_id).where(h.id == handover_id).with_for_update(of=cash_handovers)
        )).first()  # fmt: skip
        if row is None or (warehouse_ids is not None and row.warehouse_id not in warehouse_ids):
            raise NotFound("handover", handover_id)
        if row.status == "closed":
            raise Refused("handover_closed", "this handover is already closed")
        await conn.execute(update(cash_handovers).where(h.id == handover_id).values(status="closed", closed_by=actor.id, close_note=note))
        order_ids = sorted(set((await conn.execute(select(payments.c.order_id).where(payments.c.handover_id == handover_id))).scalars()))
        data = {"handover_id": handover_id, "courier_id": row.courier_id, "currency": row.currency, "expected": row.expected,
                "counted": row.counted, "difference": row.difference, "note": note}  # fmt: skip
        for order_id in order_ids:
            await append_events(conn, order_id, actor, [OrderEvent("cash_handover_closed", at, data)])
        return order_ids


async def set_cash_limit(db: Database, courier_id: int, limit: int | None) -> None:
    """The cash a courier may carry before supervisors are warned (None: no limit)."""
    if limit is not None and limit < 0:
        raise Refused("amount_negative", "a limit cannot be negative")
    async with db.write() as conn:
        done = await conn.execute(update(couriers).where(couriers.c.id == courier_id).values(cash_limit=limit))
        if done.rowcount == 0:
            raise NotFound("courier", courier_id)
