"""The sync engine's tables, declared on the application's MetaData (one schema, one migration history)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from sync.types import Json as _Json
from sync.types import UtcDateTime as _Utc


@dataclass(frozen=True)
class SyncTables:
    state: Table
    devices: Table
    enrollments: Table
    op_log: Table
    changes: Table
    blobs: Table


def define_sync_tables(metadata: MetaData) -> SyncTables:
    """Declare the sync tables on `metadata` and return them."""
    state = Table(
        "sync_state",
        metadata,
        Column("id", Integer, primary_key=True),  # always 1: one row
        # The change-log clock. Bumped as the last statement of a writing transaction; on
        # PostgreSQL its row lock then orders change versions by commit (DESIGN principle 4).
        Column("version", BigInteger, nullable=False),
        Column("epoch", String(32), nullable=False),  # a new epoch (after a restore) resets every cursor
        Column("purged_through", BigInteger, nullable=False),  # changes at or below this were compacted away
    )
    devices = Table(
        "devices",
        metadata,
        Column("id", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("role", String(24), nullable=False),
        Column("scope", _Json, nullable=False),  # e.g. {"warehouse_id": 1} or {"courier_id": 7}
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created_at", _Utc, nullable=False),
        Column("revoked_at", _Utc),
        Column("last_seq", BigInteger, nullable=False),
        Column("last_seen_at", _Utc),
        Column("last_push_at", _Utc),
        Column("last_pull_at", _Utc),
        Column("pulled_version", BigInteger, nullable=False),  # where its last pull left off, for cursor lag
        Column("pending", Integer),  # ops the device reported still holding
        Column("app_version", String(64)),
        Column("last_error", Text),
        Column("clock_skew_ms", BigInteger),  # device clock minus server clock at its last push
    )
    enrollments = Table(
        "enrollments",
        metadata,
        Column("code_hash", String(64), primary_key=True),
        Column("role", String(24), nullable=False),
        Column("scope", _Json, nullable=False),
        Column("created_by", String(100), nullable=False),
        Column("created_at", _Utc, nullable=False),
        Column("expires_at", _Utc, nullable=False),
        Column("used_at", _Utc),
        Column("device_id", String(64)),
    )
    # Keyed by (device, seq): time-ordered per device, so inserts append instead of scattering
    # over a random-UUID index; `op_id` is kept as data.
    op_log = Table(
        "op_log",
        metadata,
        Column("device_id", String(64), primary_key=True),
        Column("seq", BigInteger, primary_key=True),
        Column("op_id", String(36), nullable=False),
        Column("type", String(64), nullable=False),
        Column("captured_at", _Utc, nullable=False),
        Column("received_at", _Utc, nullable=False),
        Column("status", String(16), nullable=False),  # applied | rejected
        Column("code", String(64)),
        Column("message", Text),
        Column("payload", Text, nullable=False),  # the raw JSON payload, so a log can be replayed
    )
    changes = Table(
        "changes",
        metadata,
        Column("version", BigInteger, primary_key=True, autoincrement=False),
        Column("scope", String(64), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("entity_id", String(64), nullable=False),
        Column("op", String(3), nullable=False),  # put | del
        Column("data", Text),  # JSON of the entity as the device sees it (null for del)
        Column("at", _Utc, nullable=False),
        Index("ix_changes_scope_version", "scope", "version"),
    )
    blobs = Table(
        "blobs",
        metadata,
        Column("sha256", String(64), primary_key=True),
        Column("content_type", String(64), nullable=False),
        Column("size", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("device_id", String(64)),
        Column("created_at", _Utc, nullable=False),
    )
    return SyncTables(state, devices, enrollments, op_log, changes, blobs)
