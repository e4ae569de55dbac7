"""A person's choice for a line the matcher was unsure of: remembered for the customer, and the order follows."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import now
from server.db.dialect import upsert
from server.db.tables import customer_aliases, intake_lines, intake_payloads, products
from server.domain.events import Actor
from server.domain.matching import Reason, alias_keys
from server.domain.refusals import NotFound, Refused
from server.intake.parse import parse_payload
from server.intake.process import Outcome, conclude, load_payload
from sync.database import Database


async def resolve_line(
    db: Database, actor: Actor, intake_id: int, line_no: int, product_id: int | None, *, drop: bool = False
) -> Outcome:
    """Settle a line with a product (remembered as the customer's alias) or drop it; the order follows
    as soon as every line is settled."""
    at = now()
    async with db.write() as conn:
        payload = await load_payload(conn, intake_id, lock=True)
        if payload.status == "done":
            raise Refused("intake_done", "this intake already made its order; change the order instead", order_id=payload.order_id)
        if payload.status == "received":
            raise Refused("intake_not_processed", "this intake has not been processed yet; retry it first")
        line = (
            await conn.execute(select(intake_lines).where(intake_lines.c.payload_id == intake_id, intake_lines.c.line_no == line_no))
        ).first()
        if line is None:
            raise NotFound("intake_line", f"{intake_id}/{line_no}")
        if line.status == "invalid":
            raise Refused("line_invalid", f"line {line_no} is invalid ({line.problem}); the payload must be corrected and sent again")
        if drop:
            values = {"status": "resolved", "product_id": None, "problem": f"dropped by {actor.id}"}
        else:
            if (await conn.execute(select(products.c.id).where(products.c.id == product_id))).first() is None:
                raise NotFound("product", product_id)
            values = {"status": "resolved", "product_id": product_id, "problem": None}
        await conn.execute(
            update(intake_lines).where(intake_lines.c.payload_id == intake_id, intake_lines.c.line_no == line_no).values(**values)
        )
        if not drop and payload.customer_id is not None:
            await _learn(conn, payload.customer_id, line, product_id, actor, at)
        status, reason, order_id = payload.status, payload.reason, None
        if payload.status == "review":
            parsed = parse_payload(payload.kind, payload.content_type, payload.raw)
            status, reason, order_id = await conclude(conn, payload, parsed.terms, payload.customer_id, parsed.problem, actor)
            await conn.execute(
                update(intake_payloads)
                .where(intake_payloads.c.id == intake_id)
                .values(status=status, reason=reason, order_id=order_id, updated_at=at)
            )
    return Outcome(intake_id, status, reason, order_id)


async def _learn(conn: AsyncConnection, customer_id: int, line, product_id: int, actor: Actor, at) -> None:  # noqa: ANN001
    """Remember what the customer calls this product, and settle the intake's other lines said the same way."""
    keys = alias_keys(line.text, line.article)
    for key in keys:
        statement = upsert(conn, customer_aliases).values(
            customer_id=customer_id, alias=key, product_id=product_id, created_by=actor.id[:100], created_at=at
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["customer_id", "alias"],
                set_={"product_id": product_id, "created_by": actor.id[:100], "created_at": at},
            )
        )
    others = await conn.execute(
        select(intake_lines.c.line_no, intake_lines.c.text, intake_lines.c.article).where(
            intake_lines.c.payload_id == line.payload_id, intake_lines.c.status == "review"
        )
    )
    same = [row.line_no for row in others if set(alias_keys(row.text, row.article)) & set(keys)]
    if same:
        await conn.execute(
            update(intake_lines)
            .where(intake_lines.c.payload_id == line.payload_id, intake_lines.c.line_no.in_(same))
            .values(status="matched", product_id=product_id, score=100, reason=str(Reason.ALIAS),
                    candidates=[{"product_id": product_id, "score": 100}])  # fmt: skip
        )


