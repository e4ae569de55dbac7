"""RecordScan: a raw scan reported by a handheld, kept as a fact for audit and productivity."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.usecases.devices import WAREHOUSE_ROLES
from sync.registry import Op, op_type


SCAN_COLUMNS = ("device_id", "seq", "code", "location", "context", "captured_at", "recorded_at")


class RecordScan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    location: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    context: Annotated[str, msgspec.Meta(max_length=64)] = ""  # e.g. "pick", "check", "pack", "load"


@op_type("RecordScan", RecordScan, fact=True, roles=sorted(WAREHOUSE_ROLES))
def record_scan(workspace, op: Op[RecordScan]) -> None:  # noqa: ANN001
    workspace.scans.append(
        (workspace.device.id, op.seq, op.payload.code, op.payload.location, op.payload.context, op.captured_at, workspace.at)
    )
