"""Devices: one-time enrollment codes, enrollment, device tokens, revocation.

A supervisor creates a code (valid 15 minutes, shown as a QR with the server URL); the device
posts it with its name and receives a token bound to a role and a scope. Codes and tokens are
stored only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update

from server.clock import now
from server.db.tables import SYNC, couriers, warehouses
from server.domain.refusals import NotFound, Refused
from server.settings import Settings
from sync import bulk
from sync.database import Database

DEVICE_TOKEN_PREFIX = "tld_"
ENROLLMENT_TTL = timedelta(minutes=15)
# Crockford-style alphabet: no 0/O or 1/I/L to misread on a card.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class DeviceRole(StrEnum):
    PICKER = "picker"
    CHECKER = "checker"
    PACKER = "packer"
    LOADER = "loader"
    WAREHOUSE = "warehouse"  # one handheld doing all warehouse steps
    COURIER = "courier"


WAREHOUSE_ROLES = frozenset({DeviceRole.PICKER, DeviceRole.CHECKER, DeviceRole.PACKER, DeviceRole.LOADER, DeviceRole.WAREHOUSE})


@dataclass(frozen=True, slots=True)
class DevicePrincipal:
    """A device calling with its token."""

    device_id: str
    role: str
    scope: dict
    name: str

    @property
    def warehouse_id(self) -> int | None:
        return self.scope.get("warehouse_id")


@dataclass(frozen=True, slots=True)
class Enrollment:
    code: str
    role: str
    scope: dict
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Enrolled:
    device_id: str
    token: str
    name: str
    role: str
    scope: dict


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(code: str) -> str:
    """Codes are typed by people: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


async def scope_warehouse(conn, role: str, scope: dict) -> int:  # noqa: ANN001
    """Validate a role's scope and return the warehouse it belongs to."""
    if role in WAREHOUSE_ROLES:
        if set(scope) != {"warehouse_id"}:
            raise Refused("scope_invalid", "a warehouse device's scope is {\"warehouse_id\": N}")
        if (await conn.execute(select(warehouses.c.id).where(warehouses.c.id == scope["warehouse_id"]))).first() is None:
            raise NotFound("warehouse", scope["warehouse_id"])
        return scope["warehouse_id"]
    if role == DeviceRole.COURIER:
        if set(scope) != {"courier_id"}:
            raise Refused("scope_invalid", "a courier device's scope is {\"courier_id\": N}")
        row = (await conn.execute(select(couriers.c.warehouse_id).where(couriers.c.id == scope["courier_id"]))).first()
        if row is None:
            raise NotFound("courier", scope["courier_id"])
        return row.warehouse_id
    raise Refused("device_role_invalid", f"role must be one of: {', '.join(r.value for r in DeviceRole)}")


async def create_enrollment(
    db: Database, created_by: str, role: str, scope: dict, *, bound_warehouse: int | None = None
) -> Enrollment:
    """A one-time code for enrolling one device with this role and scope."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    at = now()
    async with db.write() as conn:
        warehouse_id = await scope_warehouse(conn, role, scope)
        if bound_warehouse is not None and warehouse_id != bound_warehouse:
            raise Refused("scope_forbidden", "this account may enroll devices only for its own warehouse")
        await conn.execute(
            insert(SYNC.enrollments).values(
                code_hash=digest(code), role=role, scope=scope, created_by=created_by, created_at=at, expires_at=at + ENROLLMENT_TTL
            )
        )
    return Enrollment(f"{code[:5]}-{code[5:]}", role, scope, at + ENROLLMENT_TTL)


async def enroll(db: Database, code: str, name: str, app_version: str | None, settings: Settings | None = None) -> Enrolled:
    """Trade a live enrollment code for a device token (shown once).

    ``settings`` says how large a packing handheld's first SSCC block is and how SSCCs are numbered;
    a caller without Settings (a test, a script) gets the environment's.
    """
    at = now()
    e = SYNC.enrollments.c
    device_id = uuid.uuid4().hex
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.write() as conn:
        row = (await conn.execute(select(SYNC.enrollments).where(e.code_hash == digest(normalize_code(code))).with_for_update())).first()
        if row is None or row.used_at is not None:
            raise Refused("enrollment_invalid", "this enrollment code is unknown or already used")
        if row.expires_at <= at:
            raise Refused("enrollment_expired", "this enrollment code has expired; ask for a new one")
        await conn.execute(update(SYNC.enrollments).where(e.code_hash == row.code_hash).values(used_at=at, device_id=device_id))
        await conn.execute(
            insert(SYNC.devices).values(
                id=device_id, name=name, role=row.role, scope=row.scope, token_hash=digest(token), created_at=at,
                last_seq=0, pulled_version=0, app_version=app_version,
            )
        )  # fmt: skip
        settings = settings or Settings.from_env()
        if row.role in (DeviceRole.PACKER, DeviceRole.WAREHOUSE) and settings.sscc_first_block:
            # A packing handheld gets its first block of SSCC serials at once, so it can print
            # parcel labels before its first sync.
            from server.usecases.packing import issue_block, sscc_numbering
            from sync import changelog

            _block, changes = await issue_block(conn, device_id, settings.sscc_first_block, at, sscc_numbering(settings))
            await changelog.record(conn, SYNC, changes, at)
    return Enrolled(device_id, token, name, row.role, row.scope)


async def authenticate_device(db: Database, token: str) -> DevicePrincipal | str | None:
    """The device behind a token; the string "revoked" for a revoked one; None if unknown."""
    # Every sync request starts here: straight to the driver, one hand-off on SQLite (sync/bulk.py).
    sql = f'SELECT id, role, scope, name, revoked_at IS NOT NULL FROM "{SYNC.devices.name}" WHERE token_hash = ?'
    async with db.engine.connect() as conn:
        rows = await bulk.fetch(conn, sql, (digest(token),))
    if not rows:
        return None
    device_id, role, scope, name, revoked = rows[0]
    if revoked:
        return "revoked"
    return DevicePrincipal(device_id, role, bulk.json_value(scope), name)


async def revoke_device(db: Database, device_id: str, *, bound_warehouse: int | None = None) -> None:
    """Revoke a device: its next request is refused; what it pushed before stays."""
    async with db.write() as conn:
        row = (await conn.execute(select(SYNC.devices.c.role, SYNC.devices.c.scope).where(SYNC.devices.c.id == device_id))).first()
        if row is None:
            raise NotFound("device", device_id)
        if bound_warehouse is not None and await scope_warehouse(conn, row.role, row.scope) != bound_warehouse:
            raise NotFound("device", device_id)
        await conn.execute(update(SYNC.devices).where(SYNC.devices.c.id == device_id).values(revoked_at=now()))
