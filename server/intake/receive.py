"""Receiving: store the bytes first (committed), then process them. The API and the command line call these."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select

from server.db.tables import customers
from server.domain.events import SYSTEM, Actor
from server.domain.refusals import NotFound
from server.intake import files
from server.intake.catalog_index import CatalogCache
from server.intake.parse import Progress, parse_payload
from server.intake.process import Outcome, process_intake, process_received
from server.intake.shop import external_id_of
from server.intake.store import MAX_EXTERNAL_ID, Stored, content_key, store_payload
from sync.database import Database


@dataclass(frozen=True, slots=True)
class Received:
    stored: Stored
    outcome: Outcome
    keyed: bool  # False: the body carried no usable external_id (stored under its digest, and failed)


async def receive_order(
    db: Database, catalog: CatalogCache, source: str, raw: bytes, content_type: str, actor: Actor = SYSTEM
) -> Received:
    """A shop's order: stored under (source, external_id), then turned into an order or left in the queue."""
    external_id = external_id_of(raw)
    keyed = external_id is not None and len(external_id) <= MAX_EXTERNAL_ID
    stored = await store_payload(
        db, source=source, external_id=external_id if keyed else content_key(raw), kind="order",
        content_type=content_type or "application/json", raw=raw,
    )  # fmt: skip
    if stored.created or stored.status == "received":  # new, or left unprocessed by a crash: process now
        outcome = await process_received(db, stored.intake_id, catalog, actor)
    else:
        outcome = Outcome(stored.intake_id, stored.status)
    return Received(stored, outcome, keyed)


async def import_spreadsheet(
    db: Database,
    catalog: CatalogCache,
    raw: bytes,
    content_type: str,
    *,
    customer_id: int | None,
    source: str = "spreadsheet",
    external_id: str | None = None,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
) -> Received:
    """An order file: stored (keyed by customer and content unless named), then one order or nothing."""
    files.kind_of(content_type, raw)  # refuse what is neither CSV nor XLSX before storing it
    if customer_id is not None:
        async with db.read() as conn:
            if (await conn.execute(select(customers.c.id).where(customers.c.id == customer_id))).first() is None:
                raise NotFound("customer", customer_id)
    key = external_id or f"c{customer_id or 0}:{content_key(raw)}"
    stored = await store_payload(
        db, source=source, external_id=key, kind="spreadsheet", content_type=content_type, raw=raw, customer_id=customer_id
    )
    if stored.created or stored.status in ("received", "failed"):
        outcome = await process_intake(db, stored.intake_id, catalog, actor, progress)
    else:
        outcome = Outcome(stored.intake_id, stored.status)
    if outcome.report is None:  # the same file again: its report, read once more
        parsed = await asyncio.to_thread(parse_payload, "spreadsheet", content_type, raw)
        outcome.report, outcome.notices = parsed.report, parsed.notices
    return Received(stored, outcome, True)
