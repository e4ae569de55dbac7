"""Read models for customers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import customer_addresses, customer_contacts, customers
from server.domain.refusals import NotFound
from server.reads.paging import decode_cursor, encode_cursor
from server.wire.customers import AddressRead, Contact, Customer, CustomerPage, Identity


async def _assemble(conn: AsyncConnection, rows: list) -> list[Customer]:
    ids = [row.id for row in rows]
    contacts: dict[int, list[Contact]] = {i: [] for i in ids}
    addresses: dict[int, list[AddressRead]] = {i: [] for i in ids}
    if ids:
        for c in await conn.execute(
            select(customer_contacts).where(customer_contacts.c.customer_id.in_(ids)).order_by(customer_contacts.c.id)
        ):
            contacts[c.customer_id].append(Contact(c.name, c.role, c.phone, c.email))
        for a in await conn.execute(
            select(customer_addresses).where(customer_addresses.c.customer_id.in_(ids)).order_by(customer_addresses.c.id)
        ):
            addresses[a.customer_id].append(AddressRead(a.id, a.text, a.label, a.city, a.postal_code))
    return [
        Customer(
            r.id,
            r.kind,
            r.name,
            r.inn,
            r.kpp,
            r.legal_address,
            r.phone,
            r.email,
            r.department,
            Identity(**r.identity) if r.identity else None,
            contacts[r.id],
            addresses[r.id],
            r.updated_at,
        )
        for r in rows
    ]


async def get_customer(conn: AsyncConnection, customer_id: int) -> Customer:
    rows = (await conn.execute(select(customers).where(customers.c.id == customer_id))).all()
    if not rows:
        raise NotFound("customer", customer_id)
    return (await _assemble(conn, rows))[0]


async def list_customers(conn: AsyncConnection, *, after: str | None, limit: int, kind: str | None) -> CustomerPage:
    """Customers in id order, one keyset page at a time."""
    query = select(customers).order_by(customers.c.id).limit(limit + 1)
    if after:
        (last_id,) = decode_cursor(after, (int,))
        query = query.where(customers.c.id > last_id)
    if kind:
        query = query.where(customers.c.kind == kind)
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return CustomerPage(await _assemble(conn, rows), encode_cursor(rows[-1].id) if more else None)
