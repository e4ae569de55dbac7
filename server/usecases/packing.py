"""SSCC blocks: serial references allocated to packing devices in advance, so labels print offline.

Every block comes from one counter row per extension digit and company prefix, bumped inside the
allocating transaction (locked until commit on PostgreSQL, a single writer on SQLite), so serial
ranges never overlap across devices. A block reaches its device through the change log in the
device's private scope.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import now
from server.db.dialect import upsert
from server.db.tables import SYNC, counters, sscc_blocks
from server.domain.packing import SsccBlock
from server.domain.refusals import NotFound, Refused
from server.settings import Settings
from server.syncapp import feeds
from server.usecases.devices import DeviceRole, scope_warehouse
from sync import changelog
from sync.database import Database
from sync.registry import ChangeRow

PACKING_ROLES = frozenset({DeviceRole.PACKER, DeviceRole.WAREHOUSE})
DEFAULT_BLOCK = 500
MAX_BLOCK = 10_000
# A device left with fewer unused serials than this after a push gets a fresh block in the same
# transaction, so a packer working through a long shift never runs dry between syncs.
LOW_WATER = 100


def sscc_numbering(settings: Settings) -> tuple[int, str]:
    """The extension digit and GS1 Company Prefix new SSCCs are built from (GenSpecs 2.2.1)."""
    prefix, extension = settings.gs1_company_prefix, settings.sscc_extension
    if not (prefix.isascii() and prefix.isdigit() and 7 <= len(prefix) <= 10):
        raise Refused("gs1_prefix_invalid", f"TALLY_GS1_COMPANY_PREFIX must be 7 to 10 digits, got {prefix!r}")
    if not (extension.isascii() and extension.isdigit() and len(extension) == 1):
        raise Refused("sscc_extension_invalid", f"TALLY_SSCC_EXTENSION must be one digit, got {extension!r}")
    return int(extension), prefix


async def issue_block(conn: AsyncConnection, device_id: str, count: int, at: datetime,
                      numbering: tuple[int, str] | None = None) -> tuple[SsccBlock, list[ChangeRow]]:  # fmt: skip
    """Take the next `count` serial references for a device inside the caller's transaction.

    ``numbering``: from ``sscc_numbering(settings)`` (the server passes its own, the sync top-up
    included); without it, the environment's, read through Settings like the server's.
    """
    if not 1 <= count <= MAX_BLOCK:
        raise Refused("block_size_invalid", f"a block holds 1 to {MAX_BLOCK} serials")
    extension, prefix = numbering or sscc_numbering(Settings.from_env())
    top = 10 ** (16 - len(prefix)) - 1  # the serial reference fills what the prefix leaves of 16 digits
    bumped = upsert(conn, counters).values(name=f"sscc:{extension}:{prefix}", value=count)
    bumped = bumped.on_conflict_do_update(index_elements=[counters.c.name], set_={"value": counters.c.value + count})
    last = (await conn.execute(bumped.returning(counters.c.value))).scalar_one()
    if last > top:
        raise Refused("sscc_range_exhausted", f"the company prefix {prefix} has no {count} serial references left")
    first = last - count + 1
    block_id = (await conn.execute(
        insert(sscc_blocks).values(device_id=device_id, extension_digit=extension, company_prefix=prefix,
                                   first_serial=first, last_serial=last, created_at=at).returning(sscc_blocks.c.id)
    )).scalar_one()  # fmt: skip
    return SsccBlock(block_id, extension, prefix, first, last), await feeds.sscc_block_changes(conn, [block_id])


async def allocate_sscc_block(db: Database, device_id: str, count: int = DEFAULT_BLOCK, *, bound_warehouse: int | None = None,
                              numbering: tuple[int, str] | None = None) -> SsccBlock:  # fmt: skip
    """Allocate a block of SSCCs to a packing device; it arrives on the device with its next pull."""
    at = now()
    d = SYNC.devices.c
    async with db.write() as conn:
        device = (await conn.execute(select(d.id, d.role, d.scope, d.revoked_at).where(d.id == device_id))).first()
        if device is None or (bound_warehouse is not None and await scope_warehouse(conn, device.role, device.scope) != bound_warehouse):
            raise NotFound("device", device_id)
        if device.role not in PACKING_ROLES:
            raise Refused("device_not_packing", f"a {device.role} device does not print parcel labels")
        if device.revoked_at is not None:
            raise Refused("device_revoked", "the device is revoked")
        block, changes = await issue_block(conn, device_id, count, at, numbering)
        await changelog.record(conn, SYNC, changes, at)
    return block


async def device_blocks(db: Database, device_id: str, *, bound_warehouse: int | None = None) -> list[dict]:
    """A device's blocks with the next unused serial of each (what its handheld holds)."""
    d = SYNC.devices.c
    async with db.read() as conn:
        device = (await conn.execute(select(d.role, d.scope).where(d.id == device_id))).first()
        if device is None or (bound_warehouse is not None and await scope_warehouse(conn, device.role, device.scope) != bound_warehouse):
            raise NotFound("device", device_id)
        rows = (await conn.execute(select(sscc_blocks).where(sscc_blocks.c.device_id == device_id).order_by(sscc_blocks.c.id))).all()
        return await feeds.sscc_block_docs(conn, rows)
