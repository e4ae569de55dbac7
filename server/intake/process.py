"""Turn a stored payload into an order, into lines waiting for a person, or a failure with its reason.

Processing reads the payload, matches its lines outside any write transaction (matching is CPU
work), then writes everything in one transaction: the lines, a new customer if the shop's is new,
the order, and the payload's status. The payload row is locked there and a payload already `done`
is left alone, so processing the same payload twice, concurrently or after a crash, makes one
order. A crash before that commit leaves the payload `received` (or as it was), and nothing else.

An order is created only once every line is matched or resolved by a person: until then the
payload waits in `review` and no order exists, so no half-known order reaches the warehouse.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import now
from server.db.order_store import append_events, insert_order, next_counter
from server.db.tables import (
    customer_aliases,
    customers,
    intake_lines,
    intake_payloads,
    products,
    warehouses,
)
from server.domain import orders as domain
from server.domain.events import SYSTEM, Actor
from server.domain.matching import Match
from server.domain.refusals import NotFound, Refused
from server.domain.spreadsheet import SheetReport
from server.intake.catalog_index import CatalogCache, CatalogIndex, LineQuery
from server.intake.parse import Draft, Progress, Terms, parse_payload
from server.intake.shop import ShopCustomer, new_customer_columns, phone_digits
from server.usecases.orders import order_number
from sync.database import Database

log = logging.getLogger("tally.intake")

CRASH_ENV = "TALLY_TEST_CRASH_AFTER_RECEIPT"


@dataclass
class Outcome:
    intake_id: int
    status: str
    reason: str | None = None
    order_id: int | None = None
    report: SheetReport | None = None  # a spreadsheet's rows skipped and why (not stored)
    notices: list[str] = field(default_factory=list)


def crash_after_receipt_if_testing() -> None:
    """Tests only: die like a killed process between the payload's commit and its processing."""
    if os.environ.get(CRASH_ENV) == "1":
        os._exit(137)


async def process_received(db: Database, intake_id: int, catalog: CatalogCache, actor: Actor = SYSTEM) -> Outcome:
    """Process a payload just stored (the receiving request's path)."""
    crash_after_receipt_if_testing()
    return await process_intake(db, intake_id, catalog, actor)


async def process_intake(
    db: Database, intake_id: int, catalog: CatalogCache, actor: Actor = SYSTEM, progress: Progress | None = None
) -> Outcome:
    """Process (or process again) one payload. A bug fails the payload with its reason; it is never lost."""
    try:
        return await _process(db, intake_id, catalog, actor, progress)
    except NotFound:
        raise
    except Exception as error:
        log.exception("intake %s failed to process", intake_id)
        reason = f"internal_error: {type(error).__name__}: {error}"[:2000]
        async with db.write() as conn:
            await conn.execute(
                update(intake_payloads)
                .where(intake_payloads.c.id == intake_id, intake_payloads.c.status != "done")
                .values(status="failed", reason=reason, attempts=intake_payloads.c.attempts + 1, updated_at=now())
            )
        return Outcome(intake_id, "failed", reason)


async def process_pending(db: Database, catalog: CatalogCache, actor: Actor = SYSTEM, limit: int = 1000) -> list[Outcome]:
    """Process whatever waits as `received` or `failed`, oldest first."""
    async with db.read() as conn:
        ids = (
            await conn.execute(
                select(intake_payloads.c.id)
                .where(intake_payloads.c.status.in_(["received", "failed"]))
                .order_by(intake_payloads.c.id)
                .limit(limit)
            )
        ).scalars().all()
    return [await process_intake(db, intake_id, catalog, actor) for intake_id in ids]


# --- reading and matching ----------------------------------------------------------------------


async def load_payload(conn: AsyncConnection, intake_id: int, *, lock: bool = False):  # noqa: ANN202
    query = select(intake_payloads).where(intake_payloads.c.id == intake_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("intake", intake_id)
    return row


async def find_customer(conn: AsyncConnection, spec: ShopCustomer) -> int | None:
    """An existing customer with the INN, else the phone (its last ten digits), else the email."""
    if spec.inn:
        found = (await conn.execute(select(customers.c.id).where(customers.c.inn == spec.inn).order_by(customers.c.id))).first()
        if found:
            return found.id
    digits = phone_digits(spec.phone)
    if digits:
        stored = customers.c.phone
        for char in (" ", "-", "(", ")", "+", "."):  # phones are kept as typed: compare their digits
            stored = func.replace(stored, char, "")
        found = (await conn.execute(select(customers.c.id).where(stored.like("%" + digits)).order_by(customers.c.id))).first()
        if found:
            return found.id
    if spec.email and spec.email.strip():
        email = func.lower(customers.c.email) == spec.email.strip().lower()
        found = (await conn.execute(select(customers.c.id).where(email).order_by(customers.c.id))).first()
        if found:
            return found.id
    return None


async def _customer_from_names(conn: AsyncConnection, names: set[str]) -> int:
    """The one customer a spreadsheet's customer column names (by INN or exact name)."""
    ids = set()
    for name in names:
        query = select(customers.c.id).where(customers.c.inn == name) if name.isdigit() else select(customers.c.id).where(
            customers.c.name == name
        )
        found = (await conn.execute(query)).scalars().all()
        if len(found) != 1:
            raise Refused("customer_unknown", f"the customer column names {name!r}, which is {'no' if not found else 'more than one'} customer")
        ids.add(found[0])
    if len(ids) != 1:
        raise Refused("customer_unknown", "one file is one order: its customer column names several customers" if ids else
                      "no customer given: pass customer_id or fill the file's customer column")  # fmt: skip
    return ids.pop()


async def _aliases(conn: AsyncConnection, customer_id: int | None) -> dict[str, int]:
    if customer_id is None:
        return {}
    rows = await conn.execute(
        select(customer_aliases.c.alias, customer_aliases.c.product_id).where(customer_aliases.c.customer_id == customer_id)
    )
    return {row.alias: row.product_id for row in rows}


def _match_all(index: CatalogIndex, drafts: Sequence[Draft], aliases: dict[str, int], progress: Progress | None) -> list[Match | None]:
    matches: list[Match | None] = []
    for done, draft in enumerate(drafts, start=1):
        if draft.problem is None:
            matches.append(index.match(LineQuery(draft.text, draft.article, draft.sku, draft.barcode), aliases))
        else:
            matches.append(None)
        if progress is not None and (done % 25 == 0 or done == len(drafts)):
            progress("matching", done, len(drafts))
    return matches


def _line_row(intake_id: int, draft: Draft, match: Match | None) -> dict:
    quantity = draft.quantity
    if match is None:
        status = "invalid"
    else:
        status = "matched" if match.trusted else "review"
        if quantity is not None and match.multiplier > 1:  # a case barcode: the customer orders cases
            quantity *= match.multiplier
    return {
        "payload_id": intake_id,
        "line_no": draft.line_no,
        "text": draft.text,
        "article": draft.article,
        "quantity": quantity,
        "price": draft.price,
        "product_id": match.product_id if match else None,
        "score": match.score if match else None,
        "reason": str(match.reason) if match else None,
        "candidates": [{"product_id": c.product_id, "score": c.score} for c in match.candidates] if match else [],
        "status": status,
        "problem": draft.problem,
    }


async def _process(db: Database, intake_id: int, catalog: CatalogCache, actor: Actor, progress: Progress | None) -> Outcome:
    async with db.read() as conn:
        payload = await load_payload(conn, intake_id)
    if payload.status == "done":
        return Outcome(intake_id, "done", payload.reason, payload.order_id)
    parsed = await asyncio.to_thread(parse_payload, payload.kind, payload.content_type, payload.raw, progress)
    problem = parsed.problem
    customer_id = payload.customer_id
    async with db.read() as conn:
        if problem is None and customer_id is None:
            try:
                if parsed.customer is not None:
                    customer_id = await find_customer(conn, parsed.customer)
                else:
                    customer_id = await _customer_from_names(conn, parsed.customer_names)
            except Refused as refusal:
                problem = refusal
        aliases = await _aliases(conn, customer_id)
        resolved = {
            row.line_no
            for row in await conn.execute(
                select(intake_lines.c.line_no).where(intake_lines.c.payload_id == intake_id, intake_lines.c.status == "resolved")
            )
        }
    index = await catalog.get(db)
    todo = [d for d in parsed.drafts if d.line_no not in resolved]
    matches = await asyncio.to_thread(_match_all, index, todo, aliases, progress)
    if progress is not None:
        progress("saving", 0, 0)
    async with db.write() as conn:
        payload = await load_payload(conn, intake_id, lock=True)
        if payload.status == "done":  # processed meanwhile by another request or process
            return Outcome(intake_id, "done", payload.reason, payload.order_id)
        # Lines a person resolved meanwhile stay as they chose.
        kept = await conn.execute(
            select(intake_lines.c.line_no).where(intake_lines.c.payload_id == intake_id, intake_lines.c.status == "resolved")
        )
        keep = set(kept.scalars().all())
        await conn.execute(
            delete(intake_lines).where(intake_lines.c.payload_id == intake_id, intake_lines.c.status != "resolved")
        )
        rows = [_line_row(intake_id, d, m) for d, m in zip(todo, matches, strict=True) if d.line_no not in keep]
        if rows:
            await conn.execute(insert(intake_lines), rows)
        if problem is None and customer_id is None and parsed.customer is not None:
            try:
                customer_id = await find_customer(conn, parsed.customer) or await _create_customer(conn, parsed.customer)
            except Refused as refusal:
                problem = refusal
        status, reason, order_id = await conclude(conn, payload, parsed.terms, customer_id, problem, actor)
        await conn.execute(
            update(intake_payloads)
            .where(intake_payloads.c.id == intake_id)
            .values(status=status, reason=reason, order_id=order_id, customer_id=customer_id,
                    attempts=intake_payloads.c.attempts + 1, updated_at=now())  # fmt: skip
        )
    return Outcome(intake_id, status, reason, order_id, parsed.report, parsed.notices)


async def _create_customer(conn: AsyncConnection, spec: ShopCustomer) -> int:
    at = now()
    columns = new_customer_columns(spec)
    result = await conn.execute(insert(customers).values(**columns, created_at=at, updated_at=at).returning(customers.c.id))
    return result.scalar_one()


# --- concluding: failed, review, or the order ----------------------------------------------


def _summary(lines: Sequence, label: str, limit: int = 5) -> str:
    shown = "; ".join(f"{label} {line.line_no}: {line.problem}" for line in lines[:limit])
    return shown + (f"; and {len(lines) - limit} more" if len(lines) > limit else "")


async def conclude(
    conn: AsyncConnection, payload, terms: Terms | None, customer_id: int | None, problem: Refused | None, actor: Actor  # noqa: ANN001
) -> tuple[str, str | None, int | None]:
    """The payload's status and reason from its lines; the order when every line is settled."""
    lines = (
        await conn.execute(select(intake_lines).where(intake_lines.c.payload_id == payload.id).order_by(intake_lines.c.line_no))
    ).all()
    if problem is not None:
        return "failed", f"{problem.code}: {problem.message}", None
    invalid = [line for line in lines if line.status == "invalid"]
    if invalid:
        label = "row" if payload.kind == "spreadsheet" else "line"
        return "failed", f"invalid_lines: {len(invalid)} of {len(lines)} lines are invalid: {_summary(invalid, label)}", None
    waiting = [line for line in lines if line.status == "review"]
    if waiting:
        return "review", f"{len(waiting)} of {len(lines)} lines wait for review", None
    if customer_id is None or terms is None:
        return "failed", "customer_unknown: the payload names no customer", None
    try:
        order_id = await _create_order(conn, payload, terms, customer_id, lines, actor)
    except Refused as refusal:
        return "failed", f"order_refused: {refusal.code}: {refusal.message}", None
    return "done", None, order_id


async def _create_order(conn: AsyncConnection, payload, terms: Terms, customer_id: int, lines: Sequence, actor: Actor) -> int:  # noqa: ANN001
    """Write the order for settled lines in the caller's transaction (lines a person dropped stay out)."""
    at = now()
    ordered = [line for line in lines if line.product_id is not None]
    rows = await conn.execute(
        select(products.c.id, products.c.sku, products.c.name, products.c.price, products.c.currency).where(
            products.c.id.in_({line.product_id for line in ordered})
        )
    )
    by_id = {row.id: domain.ProductRef(row.id, row.sku, row.name, row.price, row.currency) for row in rows}
    missing = sorted({line.product_id for line in ordered} - by_id.keys())
    if missing:
        raise Refused("product_not_found", f"products {missing} no longer exist")
    warehouse = (await conn.execute(select(warehouses.c.id).order_by(warehouses.c.id).limit(1))).first()
    if warehouse is None:
        raise NotFound("warehouse", "default")
    request = domain.OrderRequest(
        customer_id=customer_id,
        warehouse_id=warehouse.id,
        source=terms.source,
        lines=[
            domain.LineRequest(by_id[line.product_id].sku, line.quantity, line.price if terms.line_prices else None)
            for line in ordered
        ],
        payment=terms.payment,
        currency=terms.currency,
        delivery_address=terms.delivery_address,
        delivery=terms.delivery,
        notes=terms.notes,
        external_ref=payload.external_id[:100],
    )
    catalog = {ref.sku: ref for ref in by_id.values()}
    domain.create_order(request, catalog, "", at)  # refuses before an order number is spent
    number = order_number(await next_counter(conn, "order_number"))
    order, events = domain.create_order(request, catalog, number, at)
    order_id = await insert_order(conn, order)
    origin = {"intake_id": payload.id, "intake_source": payload.source, "external_id": payload.external_id}
    await append_events(conn, order_id, actor, [replace(events[0], data=events[0].data | origin), *events[1:]])
    return order_id
