"""Store a received payload before anything else, in its own committed transaction.

Once `store_payload` returns, the bytes are on disk: whatever happens to the processing that
follows (a refusal, a bug, the process killed), the payload waits in the queue with its status.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgspec
from sqlalchemy import select

from server.clock import now
from server.db.dialect import upsert
from server.db.tables import intake_payloads
from server.domain.refusals import Refused
from sync.database import Database

MAX_SOURCE = 64
MAX_EXTERNAL_ID = 100  # what an order's external_ref holds


@dataclass(frozen=True, slots=True)
class Stored:
    intake_id: int
    created: bool  # False: this (source, external_id) was stored before; nothing new was written
    status: str


def content_key(raw: bytes) -> str:
    """An external id for senders that give none (file uploads): the content's digest."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _same_content(kind: str, stored: bytes, raw: bytes) -> bool:
    """Byte-equal, or for JSON orders equal as data (a resend may reorder keys or spacing)."""
    if stored == raw:
        return True
    if kind != "order":
        return False
    try:
        return msgspec.json.decode(stored) == msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return False


async def store_payload(
    db: Database,
    *,
    source: str,
    external_id: str,
    kind: str,
    content_type: str,
    raw: bytes,
    customer_id: int | None = None,
) -> Stored:
    """Store the payload (committed on return), or find the one stored under the same key.

    The same key with other content is refused (`external_id_reused`): the first payload stays the
    record of what was received, and a corrected one needs a new external id.
    """
    if not source or len(source) > MAX_SOURCE:
        raise Refused("source_invalid", f"the source must be 1 to {MAX_SOURCE} characters")
    if not external_id or len(external_id) > MAX_EXTERNAL_ID:
        raise Refused("external_id_invalid", f"external_id must be 1 to {MAX_EXTERNAL_ID} characters")
    at = now()
    async with db.write() as conn:
        inserted = await conn.execute(
            upsert(conn, intake_payloads)
            .values(
                source=source, external_id=external_id, kind=kind, content_type=content_type[:100], raw=raw,
                status="received", attempts=0, customer_id=customer_id, received_at=at, updated_at=at,
            )  # fmt: skip
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(intake_payloads.c.id)
        )
        new_id = inserted.scalar_one_or_none()
        if new_id is not None:
            return Stored(new_id, True, "received")
        row = (
            await conn.execute(
                select(intake_payloads.c.id, intake_payloads.c.kind, intake_payloads.c.raw, intake_payloads.c.status).where(
                    intake_payloads.c.source == source, intake_payloads.c.external_id == external_id
                )
            )
        ).one()
    if not _same_content(row.kind, row.raw, raw):
        raise Refused(
            "external_id_reused",
            f"{source}/{external_id} was received before with other content; send a correction under a new external id",
            intake_id=row.id,
        )
    return Stored(row.id, False, row.status)
