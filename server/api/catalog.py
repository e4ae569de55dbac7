"""HTTP handlers for warehouses, bins and products: parse, call the use case, respond."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import Parameter

from server.api.auth import ANY, OFFICE, allow
from server.reads import catalog as reads
from server.usecases import catalog as usecases
from server.usecases.tokens import Role
from server.wire.catalog import (
    Location,
    LocationCreate,
    Product,
    ProductPage,
    ProductWrite,
    Warehouse,
    WarehouseCreate,
)
from server.wire.common import Limit
from sync.database import Database


def _spec(data: ProductWrite) -> usecases.ProductSpec:
    return usecases.ProductSpec(
        sku=data.sku,
        name=data.name,
        price=data.price,
        currency=data.currency,
        unit=data.unit,
        weight_g=data.weight_g,
        marked=data.marked,
        barcodes=[usecases.BarcodeSpec(b.code, b.multiplier) for b in data.barcodes],
    )


class WarehouseController(Controller):
    path = "/api/warehouses"
    tags = ["catalog"]

    @post("/", status_code=201, guards=[allow(Role.ADMIN)], operation_id="createWarehouse")
    async def create(self, db: Database, data: WarehouseCreate) -> Warehouse:
        warehouse_id = await usecases.create_warehouse(db, data.code, data.name, data.address)
        return Warehouse(warehouse_id, data.code, data.name, data.address)

    @get("/", guards=[allow(*ANY)], operation_id="listWarehouses")
    async def list(self, db: Database) -> list[Warehouse]:
        async with db.read() as conn:
            return await reads.list_warehouses(conn)


class LocationController(Controller):
    path = "/api/locations"
    tags = ["catalog"]

    @post("/", status_code=201, guards=[allow(*OFFICE)], operation_id="createLocation")
    async def create(self, db: Database, data: LocationCreate) -> Location:
        location_id = await usecases.create_location(
            db, data.warehouse_id, data.code, data.barcode, data.zone, data.pick_seq
        )
        return Location(location_id, data.warehouse_id, data.code, data.barcode, data.zone, data.pick_seq)

    @get("/", guards=[allow(*ANY)], operation_id="listLocations")
    async def list(self, db: Database, warehouse_id: int = Parameter(ge=1)) -> list[Location]:
        async with db.read() as conn:
            return await reads.list_locations(conn, warehouse_id)


class ProductController(Controller):
    path = "/api/products"
    tags = ["catalog"]

    @post("/", status_code=201, guards=[allow(*OFFICE)], operation_id="createProduct")
    async def create(self, db: Database, data: ProductWrite) -> Product:
        product_id = await usecases.create_product(db, _spec(data))
        async with db.read() as conn:
            return await reads.get_product(conn, product_id)

    @get("/", guards=[allow(*ANY)], operation_id="listProducts")
    async def list(
        self, db: Database, after: str | None = None, limit: Limit = 100, sku_prefix: str | None = None
    ) -> ProductPage:
        async with db.read() as conn:
            return await reads.list_products(conn, after=after, limit=limit, sku_prefix=sku_prefix)

    @get("/{product_id:int}", guards=[allow(*ANY)], operation_id="getProduct")
    async def read(self, db: Database, product_id: int) -> Product:
        async with db.read() as conn:
            return await reads.get_product(conn, product_id)

    @put("/{product_id:int}", guards=[allow(*OFFICE)], operation_id="updateProduct")
    async def update(self, db: Database, product_id: int, data: ProductWrite) -> Product:
        await usecases.update_product(db, product_id, _spec(data))
        async with db.read() as conn:
            return await reads.get_product(conn, product_id)
