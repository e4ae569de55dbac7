"""Use cases for warehouses, bins and products (one transaction each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.clock import now
from server.db.tables import locations, product_barcodes, products, warehouses
from server.domain.catalog import validate_barcode, validate_location, validate_product
from server.db.tables import SYNC
from server.domain.refusals import NotFound, Refused
from server.syncapp import feeds
from sync import changelog
from sync.database import Database


@dataclass(frozen=True, slots=True)
class BarcodeSpec:
    code: str
    multiplier: int = 1


@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    price: int
    currency: str
    unit: str = "pcs"
    weight_g: int = 0
    marked: bool = False
    barcodes: Sequence[BarcodeSpec] = ()


def _check_barcodes(barcodes: Sequence[BarcodeSpec]) -> None:
    codes = [b.code for b in barcodes]
    if len(set(codes)) != len(codes):
        raise Refused("barcode_duplicate", "the same barcode is listed twice")
    for barcode in barcodes:
        validate_barcode(barcode.code, barcode.multiplier)


async def create_warehouse(db: Database, code: str, name: str, address: str = "") -> int:
    """Create a warehouse."""
    if not code.strip() or not name.strip():
        raise Refused("warehouse_invalid", "a warehouse needs a code and a name")
    try:
        async with db.write() as conn:
            result = await conn.execute(
                insert(warehouses).values(code=code, name=name, address=address, created_at=now()).returning(warehouses.c.id)
            )
            return result.scalar_one()
    except IntegrityError as error:
        raise Refused("warehouse_code_taken", f"warehouse {code!r} exists") from error


async def create_location(
    db: Database, warehouse_id: int, code: str, barcode: str, zone: str, pick_seq: int
) -> int:
    """Create a bin location in a warehouse."""
    validate_location(code, barcode, pick_seq)
    async with db.write() as conn:
        if (await conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse_id))).first() is None:
            raise NotFound("warehouse", warehouse_id)
        taken = await conn.execute(
            select(locations.c.id).where(
                (locations.c.barcode == barcode) | ((locations.c.warehouse_id == warehouse_id) & (locations.c.code == code))
            )
        )
        if taken.first() is not None:
            raise Refused("location_taken", f"a bin with code {code!r} or barcode {barcode!r} exists")
        result = await conn.execute(
            insert(locations)
            .values(warehouse_id=warehouse_id, code=code, barcode=barcode, zone=zone, pick_seq=pick_seq, created_at=now())
            .returning(locations.c.id)
        )
        location_id = result.scalar_one()
        await changelog.record(conn, SYNC, await feeds.location_changes(conn, [location_id]), now())
        return location_id


async def _barcodes_taken(conn, codes: Sequence[str], product_id: int | None) -> list[str]:  # noqa: ANN001
    if not codes:
        return []
    query = select(product_barcodes.c.code).where(product_barcodes.c.code.in_(codes))
    if product_id is not None:
        query = query.where(product_barcodes.c.product_id != product_id)
    return sorted((await conn.execute(query)).scalars())


async def create_product(db: Database, spec: ProductSpec) -> int:
    """Create a product with its barcodes."""
    validate_product(spec.sku, spec.name, spec.price, spec.currency, spec.weight_g)
    _check_barcodes(spec.barcodes)
    at = now()
    async with db.write() as conn:
        if (await conn.execute(select(products.c.id).where(products.c.sku == spec.sku))).first() is not None:
            raise Refused("sku_taken", f"SKU {spec.sku!r} exists", sku=spec.sku)
        taken = await _barcodes_taken(conn, [b.code for b in spec.barcodes], None)
        if taken:
            raise Refused("barcode_taken", f"barcode already used: {', '.join(taken)}", barcodes=taken)
        result = await conn.execute(
            insert(products)
            .values(
                sku=spec.sku,
                name=spec.name,
                unit=spec.unit,
                price=spec.price,
                currency=spec.currency,
                weight_g=spec.weight_g,
                marked=spec.marked,
                created_at=at,
                updated_at=at,
            )
            .returning(products.c.id)
        )
        product_id = result.scalar_one()
        if spec.barcodes:
            await conn.execute(
                insert(product_barcodes),
                [{"code": b.code, "product_id": product_id, "multiplier": b.multiplier} for b in spec.barcodes],
            )
        await changelog.record(conn, SYNC, await feeds.product_changes(conn, [product_id]), at)
        return product_id


async def update_product(db: Database, product_id: int, spec: ProductSpec) -> None:
    """Replace a product's data and barcodes (the SKU is its identity and may not change)."""
    validate_product(spec.sku, spec.name, spec.price, spec.currency, spec.weight_g)
    _check_barcodes(spec.barcodes)
    async with db.write() as conn:
        row = (await conn.execute(select(products.c.sku).where(products.c.id == product_id))).first()
        if row is None:
            raise NotFound("product", product_id)
        if row.sku != spec.sku:
            raise Refused("sku_immutable", "a product's SKU cannot change; create a new product")
        taken = await _barcodes_taken(conn, [b.code for b in spec.barcodes], product_id)
        if taken:
            raise Refused("barcode_taken", f"barcode already used: {', '.join(taken)}", barcodes=taken)
        await conn.execute(
            update(products)
            .where(products.c.id == product_id)
            .values(
                name=spec.name,
                unit=spec.unit,
                price=spec.price,
                currency=spec.currency,
                weight_g=spec.weight_g,
                marked=spec.marked,
                updated_at=now(),
            )
        )
        await conn.execute(delete(product_barcodes).where(product_barcodes.c.product_id == product_id))
        if spec.barcodes:
            await conn.execute(
                insert(product_barcodes),
                [{"code": b.code, "product_id": product_id, "multiplier": b.multiplier} for b in spec.barcodes],
            )
        await changelog.record(conn, SYNC, await feeds.product_changes(conn, [product_id]), now())
