"""A domain-agnostic toy SyncApplication for adversarial sync tests: a key-value counter store.

- `Add {key, amount}` is a *fact*: always applied (amount may be negative); refused only when
  malformed (the payload type bounds amount to +-1000).
- `Claim {key}` is an *intent*: refused with `claimed_by_other` when another device owns the key;
  otherwise it makes the pushing device the owner.

Every applied op emits the key's new whole state to scope "kv:all" and the pushing device's own
counter row (`toy_dev`: ops applied, last applied seq) to its private scope "kv:device:<id>", so
scoping is exercised. The workspace loads all touched keys with one query, handlers change
in-memory state, and `flush` writes one upsert per table (executemany).

Also here, for the tests that drive it: `ToyModel`, an independent serial reference model of the
same rules, and `LocalTransport`, an in-process stand-in for `sync.client.HttpTransport` that calls
`sync.push.push` / `sync.pull.pull` directly, round-trips bodies through JSON like the wire does,
and injects faults (offline, failure before the server sees the request, response lost after the
server committed, the same request delivered twice concurrently).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import SYNC
from sync.client import ProtocolError, TransientError
from sync.database import Database
from sync.errors import SyncError, Unavailable
from sync.protocol import Change, PullRequest, PullResponse, PushRequest, PushResponse
from sync.pull import pull
from sync.push import push
from sync.registry import ChangeRow, Device, Op, OpType, Rejected, SnapshotPage, op_type

ROLE = "toy"
ALL_SCOPE = "kv:all"
MAX_AMOUNT = 1000

TOY_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS toy_kv (key TEXT PRIMARY KEY, value BIGINT NOT NULL, owner TEXT)",
    "CREATE TABLE IF NOT EXISTS toy_dev (device_id TEXT PRIMARY KEY, applied BIGINT NOT NULL, last_seq BIGINT NOT NULL)",
)


def device_scope(device_id: str) -> str:
    return f"kv:device:{device_id}"


# --- op types ------------------------------------------------------------------------------------

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Amount = Annotated[int, msgspec.Meta(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]


class Add(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: Key
    amount: Amount


class Claim(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: Key


@op_type("Add", Add, fact=True, roles=[ROLE])
def add(workspace: ToyWorkspace, op: Op[Add]) -> None:
    row = workspace.row(op.payload.key)
    row["value"] += op.payload.amount
    workspace.applied(op, op.payload.key)


@op_type("Claim", Claim, fact=False, roles=[ROLE])
def claim(workspace: ToyWorkspace, op: Op[Claim]) -> None:
    current = workspace.rows.get(op.payload.key)
    owner = current["owner"] if current else None
    if owner is not None and owner != workspace.device.id:
        raise Rejected("claimed_by_other", f"{op.payload.key!r} is claimed by another device")
    workspace.row(op.payload.key)["owner"] = workspace.device.id
    workspace.applied(op, op.payload.key)


def _touched_key(op: Op[Any]) -> str:
    return op.payload.key


# --- workspace -----------------------------------------------------------------------------------


class ToyWorkspace:
    def __init__(self, conn: AsyncConnection, device: Device, at: datetime) -> None:
        self.conn = conn
        self.device = device
        self.at = at
        self.changes: list[ChangeRow] = []
        self.rows: dict[str, dict[str, Any]] = {}  # key -> {"value", "owner"}, as loaded or changed
        self.dirty: set[str] = set()
        self.stat: dict[str, int] = {"applied": 0, "last_seq": 0}
        self.stat_dirty = False

    async def load(self, ops: Sequence[Op[Any]]) -> None:
        keys = sorted({_touched_key(op) for op in ops})
        if keys and self.conn.dialect.name == "postgresql":
            # Writers for other devices run concurrently on PostgreSQL: serialize per key (also
            # keys not inserted yet) in a fixed order, held until commit.
            await self.conn.execute(
                text(
                    "SELECT pg_advisory_xact_lock(h) FROM "
                    "(SELECT DISTINCT hashtext(k) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h) AS s"
                ),
                {"keys": keys},
            )
        if keys:
            params = {f"k{i}": k for i, k in enumerate(keys)}
            marks = ", ".join(f":k{i}" for i in range(len(keys)))
            result = await self.conn.execute(text(f"SELECT key, value, owner FROM toy_kv WHERE key IN ({marks})"), params)
            self.rows = {r.key: {"value": int(r.value), "owner": r.owner} for r in result}
        if ops:
            row = (
                await self.conn.execute(
                    text("SELECT applied, last_seq FROM toy_dev WHERE device_id = :d"), {"d": self.device.id}
                )
            ).first()
            if row is not None:
                self.stat = {"applied": int(row.applied), "last_seq": int(row.last_seq)}

    def row(self, key: str) -> dict[str, Any]:
        return self.rows.setdefault(key, {"value": 0, "owner": None})

    def applied(self, op: Op[Any], key: str) -> None:
        """Record the effects of an applied op: the key's new state and the device's counter."""
        self.dirty.add(key)
        self.stat = {"applied": self.stat["applied"] + 1, "last_seq": op.seq}
        self.stat_dirty = True
        self.changes.append(ChangeRow(ALL_SCOPE, "kv", key, "put", dict(self.rows[key])))
        self.changes.append(ChangeRow(device_scope(self.device.id), "stat", self.device.id, "put", dict(self.stat)))

    def blobs_needed(self, op: Op[Any]) -> Sequence[str]:
        return ()

    async def flush(self) -> None:
        if self.dirty:
            await self.conn.execute(
                text(
                    "INSERT INTO toy_kv (key, value, owner) VALUES (:key, :value, :owner) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, owner = excluded.owner"
                ),
                [{"key": k, **self.rows[k]} for k in sorted(self.dirty)],
            )
        if self.stat_dirty:
            await self.conn.execute(
                text(
                    "INSERT INTO toy_dev (device_id, applied, last_seq) VALUES (:d, :applied, :last_seq) "
                    "ON CONFLICT (device_id) DO UPDATE SET applied = excluded.applied, last_seq = excluded.last_seq"
                ),
                [{"d": self.device.id, **self.stat}],
            )


# --- the application -----------------------------------------------------------------------------


class _Position(msgspec.Struct, array_like=True, frozen=True):
    part: int  # 0: toy_kv rows; 1: the device's own counter row
    after: str  # last key sent in part 0


_position = msgspec.json.Decoder(_Position)


class ToyApp:
    """Implements `sync.registry.SyncApplication` for the toy counter store."""

    def __init__(self) -> None:
        self.ops: dict[str, OpType[Any]] = {add.name: add, claim.name: claim}

    def scopes(self, device: Device) -> list[str]:
        return [ALL_SCOPE, device_scope(device.id)]

    def workspace(self, conn: AsyncConnection, device: Device, at: datetime) -> ToyWorkspace:
        return ToyWorkspace(conn, device, at)

    async def snapshot(self, conn: AsyncConnection, device: Device, position: str | None, limit: int) -> SnapshotPage:
        pos = _position.decode(position) if position else _Position(0, "")
        changes: list[Change] = []
        part, after = pos.part, pos.after
        if part == 0:
            rows = (
                await conn.execute(
                    text("SELECT key, value, owner FROM toy_kv WHERE key > :after ORDER BY key LIMIT :limit"),
                    {"after": after, "limit": limit},
                )
            ).all()
            changes += [Change("kv", r.key, "put", {"value": int(r.value), "owner": r.owner}) for r in rows]
            if len(rows) < limit:
                part, after = 1, ""
            else:
                after = rows[-1].key
        if part == 1 and len(changes) < limit:
            row = (
                await conn.execute(text("SELECT applied, last_seq FROM toy_dev WHERE device_id = :d"), {"d": device.id})
            ).first()
            if row is not None:
                changes.append(Change("stat", device.id, "put", {"applied": int(row.applied), "last_seq": int(row.last_seq)}))
            part = 2
        done = part >= 2
        return SnapshotPage(changes, None if done else msgspec.json.encode(_Position(part, after)).decode())


async def create_toy_tables(db: Database, *, clear: bool = True) -> None:
    async with db.write() as conn:
        for statement in TOY_SCHEMA:
            await conn.execute(text(statement))
        if clear:
            await conn.execute(text("DELETE FROM toy_kv"))
            await conn.execute(text("DELETE FROM toy_dev"))


async def add_device(db: Database, device_id: str, *, role: str = ROLE) -> None:
    """Enrol a device by inserting its row directly."""
    async with db.write() as conn:
        await conn.execute(
            SYNC.devices.insert().values(
                id=device_id,
                name=f"toy {device_id}",
                role=role,
                scope={},
                token_hash=f"toy-{device_id}",
                created_at=datetime.now(UTC),
                last_seq=0,
                pulled_version=0,
            )
        )


async def server_state(db: Database) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, int]]]:
    """toy_kv and toy_dev as the replicas should see them."""
    async with db.read() as conn:
        kv = {r.key: {"value": int(r.value), "owner": r.owner} for r in await conn.execute(text("SELECT key, value, owner FROM toy_kv"))}
        dev = {
            r.device_id: {"applied": int(r.applied), "last_seq": int(r.last_seq)}
            for r in await conn.execute(text("SELECT device_id, applied, last_seq FROM toy_dev"))
        }
    return kv, dev


def expected_replica(kv: dict[str, dict[str, Any]], dev: dict[str, dict[str, int]], device_id: str) -> dict[tuple[str, str], dict]:
    replica: dict[tuple[str, str], dict] = {("kv", k): v for k, v in kv.items()}
    if device_id in dev:
        replica[("stat", device_id)] = dev[device_id]
    return replica


# --- an independent reference model ----------------------------------------------------------------


def _valid_key(value: Any) -> bool:
    return type(value) is str and 1 <= len(value) <= 64


def expected_refusal(op_type_name: str, payload_json: str, role: str = ROLE) -> str | None:
    """The refusal code the rules give an op independently of state (None: well formed)."""
    if op_type_name not in ("Add", "Claim"):
        return "unknown_op_type"
    if role != ROLE:
        return "op_not_allowed"
    try:
        payload = json.loads(payload_json)
    except ValueError:
        return "invalid_payload"
    if not isinstance(payload, dict):
        return "invalid_payload"
    if op_type_name == "Add":
        amount = payload.get("amount")
        if set(payload) != {"key", "amount"} or not _valid_key(payload["key"]):
            return "invalid_payload"
        if type(amount) is not int or not -MAX_AMOUNT <= amount <= MAX_AMOUNT:
            return "invalid_payload"
        return None
    if set(payload) != {"key"} or not _valid_key(payload["key"]):
        return "invalid_payload"
    return None


@dataclass
class ToyModel:
    """The toy rules applied serially, in the order the server committed them."""

    kv: dict[str, dict[str, Any]] = field(default_factory=dict)
    dev: dict[str, dict[str, int]] = field(default_factory=dict)
    # What each applied op should have emitted: (device_id, seq) -> (kv key state, stat state).
    emitted: dict[tuple[str, int], tuple[str, dict[str, Any], dict[str, int]]] = field(default_factory=dict)

    def apply(self, device_id: str, seq: int, op_type_name: str, payload_json: str) -> tuple[str, str | None]:
        """Apply one op; return (status, code) as the server should have answered it."""
        refusal = expected_refusal(op_type_name, payload_json)
        if refusal is not None:
            return "rejected", refusal
        payload = json.loads(payload_json)
        key = payload["key"]
        row = self.kv.get(key)
        if op_type_name == "Add":
            row = self.kv.setdefault(key, {"value": 0, "owner": None})
            row["value"] += payload["amount"]
        else:
            if row is not None and row["owner"] is not None and row["owner"] != device_id:
                return "rejected", "claimed_by_other"
            row = self.kv.setdefault(key, {"value": 0, "owner": None})
            row["owner"] = device_id
        stat = self.dev.get(device_id, {"applied": 0, "last_seq": 0})
        self.dev[device_id] = {"applied": stat["applied"] + 1, "last_seq": seq}
        self.emitted[(device_id, seq)] = (key, dict(row), dict(self.dev[device_id]))
        return "applied", None


# --- an in-process transport ---------------------------------------------------------------------


class Clock:
    """Server time for pushes and pulls: strictly increasing, one millisecond per request."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2030, 1, 1, tzinfo=UTC)

    def tick(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@dataclass(frozen=True)
class Answer:
    """One per-op result the server produced (whether or not the device ever received it)."""

    device_id: str
    seq: int
    status: str
    code: str | None
    delivered: bool


FAULTS = ("before", "after", "dup")


@dataclass
class LocalTransport:
    """Mimics `sync.client.HttpTransport` but calls the engine in-process.

    `faults` is a queue consumed one per request: "before" fails the request before the server
    sees it; "after" lets the server commit and then loses the response; "dup" delivers the
    same request twice concurrently (a proxy retry) and returns one of the answers. An offline
    transport fails every request before the server sees it.
    """

    db: Database
    app: ToyApp
    device_id: str
    clock: Clock
    answers: list[Answer]
    online: bool = True
    faults: list[str] = field(default_factory=list)
    msgpack: bool = False
    resets: int = 0  # pull answers that told the device to reload a snapshot
    requests: int = 0  # requests since the driver last reset it
    max_requests: int = 2000  # more than this in one step is a livelock, not progress

    def _fault(self) -> str | None:
        self.requests += 1
        if self.requests > self.max_requests:
            raise AssertionError(f"{self.device_id}: {self.requests} requests in one step: the client is not making progress")
        if not self.online:
            raise TransientError("offline")
        fault = self.faults.pop(0) if self.faults else None
        if fault == "before":
            raise TransientError("injected: request lost before the server")
        return fault

    @staticmethod
    def _wire(body: dict, request_type: type) -> Any:
        return msgspec.json.decode(msgspec.json.encode(body), type=request_type)

    async def _call_push(self, request: PushRequest, delivered: bool) -> PushResponse:
        try:
            response = await push(self.db, SYNC, self.app, self.device_id, request, self.clock.tick())
        except Unavailable as error:
            raise TransientError(f"server 503: {error.message}", retry_after=0) from error
        except SyncError as error:
            raise ProtocolError(error.status, error.code, error.message, {"code": error.code, **error.context}) from error
        response = msgspec.json.decode(msgspec.json.encode(response), type=PushResponse)
        for r in response.results:
            self.answers.append(Answer(self.device_id, r.seq, r.status, r.code, delivered))
        return response

    async def push(self, body: dict) -> PushResponse:
        fault = self._fault()
        request = self._wire(body, PushRequest)
        if fault == "dup":
            both = await asyncio.gather(self._call_push(request, True), self._call_push(request, False), return_exceptions=True)
            for outcome in both:  # a transient failure of either copy is fine; anything else is not
                if isinstance(outcome, BaseException) and not isinstance(outcome, TransientError):
                    raise outcome
            if isinstance(both[0], BaseException):
                raise both[0]
            response = both[0]
        else:
            response = await self._call_push(request, fault != "after")
        if fault == "after":
            raise TransientError("injected: response lost after the server committed")
        return response

    async def pull(self, body: dict) -> PullResponse:
        fault = self._fault()
        request = self._wire(body, PullRequest)
        try:
            response = await pull(self.db, SYNC, self.app, self.device_id, request, self.clock.tick())
        except SyncError as error:
            raise ProtocolError(error.status, error.code, error.message, {"code": error.code}) from error
        response = msgspec.json.decode(msgspec.json.encode(response), type=PullResponse)
        self.resets += response.reset
        if fault == "after":
            raise TransientError("injected: pull response lost")
        return response

    async def put_blob(self, sha256: str, content_type: str, data: bytes) -> None:  # pragma: no cover
        raise AssertionError("the toy app has no blobs")
