"""HTTP handlers for customers."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get, post, put

from server.api.auth import allow
from server.reads import customers as reads
from server.usecases import customers as usecases
from server.usecases.tokens import Role
from server.wire.common import Limit
from server.wire.customers import Customer, CustomerPage, CustomerWrite
from sync.database import Database

WRITERS = (Role.ADMIN, Role.OFFICE, Role.INTEGRATION)
READERS = (Role.ADMIN, Role.OFFICE, Role.INTEGRATION, Role.SUPERVISOR)


class CustomerController(Controller):
    path = "/api/customers"
    tags = ["customers"]

    @post("/", status_code=201, guards=[allow(*WRITERS)], operation_id="createCustomer")
    async def create(self, db: Database, data: CustomerWrite) -> Customer:
        customer_id = await usecases.create_customer(db, data)
        async with db.read() as conn:
            return await reads.get_customer(conn, customer_id)

    @get("/", guards=[allow(*READERS)], operation_id="listCustomers")
    async def list(
        self,
        db: Database,
        after: str | None = None,
        limit: Limit = 100,
        kind: Literal["company", "person", "internal"] | None = None,
    ) -> CustomerPage:
        async with db.read() as conn:
            return await reads.list_customers(conn, after=after, limit=limit, kind=kind)

    @get("/{customer_id:int}", guards=[allow(*READERS)], operation_id="getCustomer")
    async def read(self, db: Database, customer_id: int) -> Customer:
        async with db.read() as conn:
            return await reads.get_customer(conn, customer_id)

    @put("/{customer_id:int}", guards=[allow(*WRITERS)], operation_id="updateCustomer")
    async def update(self, db: Database, customer_id: int, data: CustomerWrite) -> Customer:
        await usecases.update_customer(db, customer_id, data)
        async with db.read() as conn:
            return await reads.get_customer(conn, customer_id)
