"""Who calls and what they reach: the page tests' world (warehouses A and B, their orders, routes,
couriers, devices), plus a token for every API role and every device role, bound to A, and the
ids of one thing of each kind in A and in B for the authorization matrix."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import insert, select

from server.clock import now
from server.db.tables import SYNC, cash_handovers, deliveries, locations, parcels, pick_lists
from server.usecases.devices import DeviceRole, create_enrollment, enroll, revoke_device
from server.usecases.tokens import create_token, revoke_token
from sync.database import Database
from tests.web.world import WebWorld, a_png

A, B = "A", "B"


@dataclass
class Caller:
    """One row of the matrix: a name, a bearer token (None: no token) and what it is bound to."""

    name: str
    token: str | None
    role: str  # an API role, a device role, "anonymous" or "revoked"
    company_wide: bool = False  # admin, office, integration: no warehouse or courier scope


@dataclass
class SecurityWorld:
    web: WebWorld
    callers: list[Caller]
    # Path parameter name -> {A: value, B: value}: one thing of each kind in each scope.
    ids: dict[str, dict[str, object]] = field(default_factory=dict)


async def _device_token(db: Database, role: str, scope: dict) -> tuple[str, str]:
    code = await create_enrollment(db, "test", role, scope)
    enrolled = await enroll(db, code.code, f"matrix-{role}", "1.0.0")
    return enrolled.device_id, enrolled.token


async def a_security_world(db: Database, web: WebWorld) -> SecurityWorld:
    """Tokens for every caller bound to A (warehouse A, courier X of A), and A's and B's ids."""
    callers = [Caller(role, (await create_token(db, role, f"matrix-{role}"))[0], role, True)
               for role in ("admin", "office", "integration")]  # fmt: skip
    supervisor, _ = await create_token(db, "supervisor", "matrix-supervisor-a", warehouse_id=web.wh_a)
    callers.append(Caller("supervisor_a", supervisor, "supervisor"))
    device_ids: dict[str, str] = {}
    for role in DeviceRole:
        scope = {"courier_id": web.courier_a} if role == DeviceRole.COURIER else {"warehouse_id": web.wh_a}
        device_ids[role], token = await _device_token(db, role, scope)
        callers.append(Caller(f"device_{role}", token, role))
    callers.append(Caller("anonymous", None, "anonymous"))
    revoked_device, revoked_device_token = await _device_token(db, "picker", {"warehouse_id": web.wh_a})
    await revoke_device(db, revoked_device)
    callers.append(Caller("revoked_device", revoked_device_token, "revoked"))
    revoked_api, revoked_id = await create_token(db, "admin", "matrix-revoked-admin")
    await revoke_token(db, revoked_id)
    callers.append(Caller("revoked_admin", revoked_api, "revoked"))

    at = now()
    png = a_png() + b"matrix"  # a blob of A's courier device (the world's one belongs to B's courier)
    own_blob = hashlib.sha256(png).hexdigest()
    async with db.write() as conn:
        await conn.execute(insert(SYNC.blobs).values(sha256=own_blob, content_type="image/png", size=len(png), data=png,
                                                     device_id=device_ids[DeviceRole.COURIER], created_at=at))  # fmt: skip
        foreign_blob = (await conn.execute(select(SYNC.blobs.c.sha256).where(SYNC.blobs.c.device_id == web.courier_device_b))).scalar_one()
        loc = {w: (await conn.execute(select(locations.c.id).where(locations.c.warehouse_id == w).limit(1))).scalar_one()
               for w in (web.wh_a, web.wh_b)}  # fmt: skip
        list_a = (await conn.execute(select(pick_lists.c.id).where(pick_lists.c.warehouse_id == web.wh_a).limit(1))).scalar_one()
        list_b = (await conn.execute(insert(pick_lists).values(warehouse_id=web.wh_b, kind="order", status="open", created_at=at,
                                                               updated_at=at).returning(pick_lists.c.id))).scalar_one()  # fmt: skip
        parcel_a = (await conn.execute(select(parcels.c.sscc).where(parcels.c.warehouse_id == web.wh_a).limit(1))).scalar_one()
        parcel_b = "046012345000000024"
        await conn.execute(insert(parcels).values(id=str(uuid.uuid4()), sscc=parcel_b, order_id=web.order_b, warehouse_id=web.wh_b,
                                                  status="loaded", weight_g=900, route_id=web.route_b, packed_by=web.device_b, opened_at=at, closed_at=at,
                                                  loaded_at=at))  # fmt: skip
        await conn.execute(insert(deliveries).values(  # B's order has a proof of delivery as A's has
            id=str(uuid.uuid4()), order_id=web.order_b, route_id=web.route_b, courier_id=web.courier_b, device_id=web.courier_device_b,
            seq=1, outcome="delivered", recipient_name="B", signature_png=foreign_blob, photos=[], refused=[], parcels=[parcel_b],
            note="", captured_at=at, recorded_at=at))  # fmt: skip
        handover_a = (await conn.execute(select(cash_handovers.c.id).where(cash_handovers.c.courier_id == web.courier_a))).scalar_one()
        handover_b = str(uuid.uuid4())
        await conn.execute(insert(cash_handovers).values(
            id=handover_b, courier_id=web.courier_b, shift_day=at.date(), currency="RUB", expected=10_000, counted=10_000,
            difference=0, counted_by="cashier", status="open", captured_at=at, recorded_at=at))  # fmt: skip
    ids = {
        "order_id": {A: web.order_a, B: web.order_b},
        "route_id": {A: web.route_a, B: web.route_b},
        "courier_id": {A: web.courier_a, B: web.courier_b},
        "device_id": {A: web.device_a, B: web.device_b},
        "warehouse_id": {A: web.wh_a, B: web.wh_b},
        "location_id": {A: loc[web.wh_a], B: loc[web.wh_b]},
        "list_id": {A: list_a, B: list_b},
        "pick_list_id": {A: list_a, B: list_b},
        "parcel": {A: parcel_a, B: parcel_b},
        "sscc": {A: parcel_a, B: parcel_b},
        "handover_id": {A: handover_a, B: handover_b},
        "sha256": {A: own_blob, B: foreign_blob},
    }
    return SecurityWorld(web, callers, ids)
