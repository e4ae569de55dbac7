"""Builders for sync tests: enrolled devices, ops, and a client bound to the test app."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server.usecases.catalog import create_warehouse
from server.usecases.devices import create_enrollment, enroll
from sync.client import HttpTransport, SyncClient
from sync.database import Database


async def a_device(db: Database, role: str = "picker", scope: dict | None = None, name: str = "TC52-01") -> tuple[str, str]:
    """Enroll a device the way a handheld does; return (device_id, token)."""
    if scope is None:
        scope = {"warehouse_id": await create_warehouse(db, f"W{uuid.uuid4().hex[:6]}", "Склад")}
    code = await create_enrollment(db, "test", role, scope)
    enrolled = await enroll(db, code.code, name, "test")
    return enrolled.device_id, enrolled.token


def scan_op(seq: int, code: str = "4600000000017", **extra) -> dict:
    return {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "type": "RecordScan",
        "captured_at": datetime.now(UTC).isoformat(),
        "payload": {"code": code, "context": "pick"} | extra,
    }


def push_body(device_id: str, ops: list[dict]) -> dict:
    return {"protocol": 1, "device_id": device_id, "ops": ops}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def a_client(tmp_path: Path, client: httpx.AsyncClient, device_id: str, token: str, *, msgpack: bool = False, name: str = "device") -> SyncClient:
    return SyncClient(tmp_path / f"{name}.db", device_id, HttpTransport(client, token, msgpack=msgpack))
