"""The intake queue as the office reads it: payloads by status, one payload with its lines and candidates."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import intake_lines, intake_payloads, orders, products
from server.domain.refusals import NotFound
from server.reads.paging import decode_cursor, encode_cursor


class ProductBrief(msgspec.Struct, frozen=True):
    product_id: int
    sku: str
    name: str
    score: int | None = None


class IntakeLine(msgspec.Struct, frozen=True):
    line_no: int  # the line's position in a shop's order; the row number in a spreadsheet
    text: str
    article: str | None
    quantity: int | None
    price: int | None
    status: str  # matched | review | resolved | invalid
    reason: str | None  # barcode | sku | alias | fuzzy | none
    score: int | None
    product: ProductBrief | None
    candidates: list[ProductBrief]
    problem: str | None


class Skipped(msgspec.Struct, frozen=True):
    row: int
    why: str


class Intake(msgspec.Struct, frozen=True):
    id: int
    source: str
    external_id: str
    kind: str  # order | spreadsheet
    status: str  # received | done | review | failed
    reason: str | None
    attempts: int
    order_id: int | None
    order_number: str | None
    customer_id: int | None
    received_at: datetime
    updated_at: datetime
    lines_total: int
    lines_review: int
    lines_invalid: int
    lines: list[IntakeLine] | None = None  # in the detail only
    skipped: list[Skipped] | None = None  # a spreadsheet import's answer only
    notices: list[str] | None = None


class IntakePage(msgspec.Struct, frozen=True):
    items: list[Intake]
    next: str | None


_SUMMARY = [
    intake_payloads.c.id, intake_payloads.c.source, intake_payloads.c.external_id, intake_payloads.c.kind,
    intake_payloads.c.status, intake_payloads.c.reason, intake_payloads.c.attempts, intake_payloads.c.order_id,
    orders.c.number.label("order_number"), intake_payloads.c.customer_id, intake_payloads.c.received_at,
    intake_payloads.c.updated_at,
]  # fmt: skip


async def _counts(conn: AsyncConnection, ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {"total": 0, "review": 0, "invalid": 0} for i in ids}
    if ids:
        rows = await conn.execute(
            select(intake_lines.c.payload_id, intake_lines.c.status, func.count())
            .where(intake_lines.c.payload_id.in_(ids))
            .group_by(intake_lines.c.payload_id, intake_lines.c.status)
        )
        for payload_id, status, n in rows:
            counts[payload_id]["total"] += n
            if status in ("review", "invalid"):
                counts[payload_id][status] += n
    return counts


def _intake(row, counts: dict[str, int], **extra) -> Intake:  # noqa: ANN001
    return Intake(
        id=row.id, source=row.source, external_id=row.external_id, kind=row.kind, status=row.status, reason=row.reason,
        attempts=row.attempts, order_id=row.order_id, order_number=row.order_number, customer_id=row.customer_id,
        received_at=row.received_at, updated_at=row.updated_at, lines_total=counts["total"],
        lines_review=counts["review"], lines_invalid=counts["invalid"], **extra,
    )  # fmt: skip


async def list_intakes(
    conn: AsyncConnection, *, status: str | None = None, source: str | None = None, after: str | None = None, limit: int = 50
) -> IntakePage:
    """Payloads newest first, by status and source (keyset pages)."""
    query = select(*_SUMMARY).select_from(intake_payloads.outerjoin(orders, orders.c.id == intake_payloads.c.order_id))
    if status is not None:
        query = query.where(intake_payloads.c.status == status)
    if source is not None:
        query = query.where(intake_payloads.c.source == source)
    if after is not None:
        (last_id,) = decode_cursor(after, (int,))
        query = query.where(intake_payloads.c.id < last_id)
    rows = (await conn.execute(query.order_by(intake_payloads.c.id.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    counts = await _counts(conn, [row.id for row in page])
    return IntakePage(
        items=[_intake(row, counts[row.id]) for row in page],
        next=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )


async def get_intake(conn: AsyncConnection, intake_id: int) -> Intake:
    """One payload with its lines, each line's product and top candidates (sku, name, score)."""
    row = (
        await conn.execute(
            select(*_SUMMARY)
            .select_from(intake_payloads.outerjoin(orders, orders.c.id == intake_payloads.c.order_id))
            .where(intake_payloads.c.id == intake_id)
        )
    ).first()
    if row is None:
        raise NotFound("intake", intake_id)
    lines = (
        await conn.execute(select(intake_lines).where(intake_lines.c.payload_id == intake_id).order_by(intake_lines.c.line_no))
    ).all()
    wanted = {line.product_id for line in lines if line.product_id} | {
        c["product_id"] for line in lines for c in line.candidates or []
    }
    names = {}
    if wanted:
        names = {
            r.id: (r.sku, r.name)
            for r in await conn.execute(select(products.c.id, products.c.sku, products.c.name).where(products.c.id.in_(wanted)))
        }

    def brief(product_id: int, score: int | None = None) -> ProductBrief:
        sku, name = names.get(product_id, ("?", "?"))
        return ProductBrief(product_id, sku, name, score)

    items = [
        IntakeLine(
            line_no=line.line_no, text=line.text, article=line.article, quantity=line.quantity, price=line.price,
            status=line.status, reason=line.reason, score=line.score,
            product=brief(line.product_id, line.score) if line.product_id else None,
            candidates=[brief(c["product_id"], c["score"]) for c in line.candidates or []], problem=line.problem,
        )  # fmt: skip
        for line in lines
    ]
    counts = {"total": len(lines), "review": sum(i.status == "review" for i in items), "invalid": sum(i.status == "invalid" for i in items)}
    return _intake(row, counts, lines=items)


async def raw_payload(conn: AsyncConnection, intake_id: int) -> tuple[bytes, str]:
    """The bytes as received, and their content type."""
    row = (
        await conn.execute(select(intake_payloads.c.raw, intake_payloads.c.content_type).where(intake_payloads.c.id == intake_id))
    ).first()
    if row is None:
        raise NotFound("intake", intake_id)
    return row.raw, row.content_type
