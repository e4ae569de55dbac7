"""What the application tells the engine: its op types, their handlers, its scopes and snapshots.

The engine knows nothing about orders. For each push it asks the application for a Workspace
(the batch's state, loaded once), runs each op's handler against it in seq order, then lets the
workspace write its effects in bulk. Handlers check first and record second: a handler that
raises `Rejected` must not have changed the workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from sync.bulk import Statement

P = TypeVar("P")


class Rejected(Exception):
    """An op that can never be applied: its seq still advances and the device is told why."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


@dataclass(frozen=True, slots=True)
class Device:
    """An enrolled device as the engine sees it."""

    id: str
    name: str
    role: str
    scope: dict[str, Any]
    last_seq: int = 0
    clock_skew_ms: int | None = None  # device clock minus server clock, when the device said


class Op(msgspec.Struct, Generic[P], frozen=True):
    """A decoded op handed to a handler (a Struct: built for every op of a batch, in C)."""

    op_id: str
    seq: int
    type: str
    captured_at: datetime
    payload: P


@dataclass(slots=True)
class ChangeRow:
    """A change a device in `scope` will pull: the entity's new state, or its removal."""

    scope: str
    kind: str
    entity_id: str
    op: Literal["put", "del"]
    data: dict[str, Any] | None = None


class Workspace(Protocol):
    """One push batch's state: loaded once, changed by handlers, written once."""

    changes: list[ChangeRow]

    async def load(self, ops: Sequence[Op[Any]]) -> None: ...

    async def flush(self) -> Sequence[Statement] | None:
        """Write the batch's effects. May return plain-row bulk statements (`sync.bulk.insert`) with no
        reader in this transaction: the engine sends them with the op log in one hand-off."""
        ...

    def blobs_needed(self, op: Op[Any]) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class OpType(Generic[P]):
    name: str
    payload: type[P]
    handler: Callable[[Any, Op[P]], None]  # (workspace, op) -> None, or raises Rejected
    fact: bool  # facts are never refused for reasons of state (DESIGN principle 2)
    roles: frozenset[str]  # device roles that may send it
    decoder: msgspec.json.Decoder = field(init=False)
    msgpack_decoder: msgspec.msgpack.Decoder = field(init=False)
    # A batch's payloads of this type in one call, as one array (sync/push.py `_decode_all`).
    list_decoder: msgspec.json.Decoder = field(init=False)
    list_msgpack_decoder: msgspec.msgpack.Decoder = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder", msgspec.json.Decoder(self.payload, strict=True))
        object.__setattr__(self, "msgpack_decoder", msgspec.msgpack.Decoder(self.payload, strict=True))
        object.__setattr__(self, "list_decoder", msgspec.json.Decoder(list[self.payload], strict=True))
        object.__setattr__(self, "list_msgpack_decoder", msgspec.msgpack.Decoder(list[self.payload], strict=True))


@dataclass(frozen=True, slots=True)
class SnapshotPage:
    changes: list[Any]  # protocol.Change
    next_position: str | None  # None: the snapshot is complete


class SyncApplication(Protocol):
    """What the server implements for the engine."""

    ops: dict[str, OpType[Any]]

    def scopes(self, device: Device) -> list[str]:
        """The change-log scopes a device may see, e.g. ["catalog", "warehouse:1"]."""
        ...

    def workspace(self, conn: AsyncConnection, device: Device, at: datetime) -> Workspace:
        """A fresh workspace for one push batch inside the caller's transaction."""
        ...

    async def snapshot(
        self, conn: AsyncConnection, device: Device, position: str | None, limit: int
    ) -> SnapshotPage:
        """One keyset page of the current state of the device's scope.

        A page must depend only on the device's role, its scopes and the state that those scopes'
        changes describe: the engine shares pages between devices alike, and reuses them until a
        change is recorded in one of the scopes (`sync.pull.SnapshotPages`)."""
        ...


def op_type(name: str, payload: type[P], *, fact: bool, roles: Sequence[str]) -> Callable[[Callable], OpType[P]]:
    """Declare an op type: `@op_type("RecordScan", RecordScan, fact=True, roles=[...])` over its handler."""

    def wrap(handler: Callable[[Any, Op[P]], None]) -> OpType[P]:
        return OpType(name, payload, handler, fact, frozenset(roles))

    return wrap
