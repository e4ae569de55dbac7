"""Customer use cases: create and replace, with contacts and delivery addresses."""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, insert, select, update

from server.clock import now
from server.db.tables import customer_addresses, customer_contacts, customers
from server.domain.customers import validate_customer
from server.domain.refusals import NotFound
from server.wire.customers import CustomerWrite
from sync.database import Database


def _columns(data: CustomerWrite) -> dict:
    validate_customer(data.kind, data.name, data.inn, data.kpp, data.phone, data.department)
    return {
        "kind": data.kind,
        "name": data.name.strip(),
        "inn": data.inn,
        "kpp": data.kpp,
        "legal_address": data.legal_address,
        "phone": data.phone,
        "email": data.email,
        "department": data.department,
        "identity": msgspec.to_builtins(data.identity) if data.identity else None,
    }


async def _write_children(conn, customer_id: int, data: CustomerWrite) -> None:  # noqa: ANN001
    if data.contacts:
        await conn.execute(
            insert(customer_contacts),
            [{"customer_id": customer_id} | msgspec.structs.asdict(c) for c in data.contacts],
        )
    if data.addresses:
        await conn.execute(
            insert(customer_addresses),
            [{"customer_id": customer_id} | msgspec.structs.asdict(a) for a in data.addresses],
        )


async def create_customer(db: Database, data: CustomerWrite) -> int:
    """Create a customer of any kind."""
    columns = _columns(data)
    at = now()
    async with db.write() as conn:
        result = await conn.execute(
            insert(customers).values(**columns, created_at=at, updated_at=at).returning(customers.c.id)
        )
        customer_id = result.scalar_one()
        await _write_children(conn, customer_id, data)
        return customer_id


async def update_customer(db: Database, customer_id: int, data: CustomerWrite) -> None:
    """Replace a customer's data, contacts and addresses.

    Orders keep their own copy of the delivery address, so replacing addresses never rewrites
    where an existing order goes.
    """
    columns = _columns(data)
    async with db.write() as conn:
        if (await conn.execute(select(customers.c.id).where(customers.c.id == customer_id))).first() is None:
            raise NotFound("customer", customer_id)
        await conn.execute(update(customers).where(customers.c.id == customer_id).values(**columns, updated_at=now()))
        await conn.execute(delete(customer_contacts).where(customer_contacts.c.customer_id == customer_id))
        await conn.execute(delete(customer_addresses).where(customer_addresses.c.customer_id == customer_id))
        await _write_children(conn, customer_id, data)
