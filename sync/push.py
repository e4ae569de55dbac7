"""Exactly-once push (DESIGN principle 3).

One transaction per request: lock the device row, answer seqs at or below its last seq as
duplicates with their stored results, refuse a gap, run each new op's handler in seq order
against a workspace loaded once, write the workspace's effects, the op log, the device's new
last seq and the change log, and commit. Results leave only after that commit. A constant number
of statements runs per batch, whatever its size.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from sync import bulk, changelog
from sync.database import Database
from sync.errors import DeviceMismatch, DuplicateSeq, SeqGap, TooManyOps, Unavailable, UpgradeRequired
from sync.protocol import MAX_OPS_PER_PUSH, SUPPORTED_PROTOCOLS, OpEnvelope, OpResult, PushRequest, PushResponse
from sync.registry import Device, Op, OpType, Rejected, SyncApplication
from sync.tables import SyncTables

log = logging.getLogger("tally.sync.push")
LOG_COLUMNS = ("device_id", "seq", "op_id", "type", "captured_at", "received_at", "status", "code", "message", "payload")


def _ordered(ops: Sequence[OpEnvelope]) -> list[OpEnvelope]:
    """Ops sorted by seq; an exact repeat inside one request is dropped, a conflicting one refused."""
    by_seq: dict[int, OpEnvelope] = {}
    for op in ops:
        seen = by_seq.get(op.seq)
        if seen is not None and seen != op:
            raise DuplicateSeq(f"seq {op.seq} appears twice with different ops")
        by_seq[op.seq] = op
    return [by_seq[seq] for seq in sorted(by_seq)]


def _decode_all(app: SyncApplication, device: Device, envelopes: Sequence[OpEnvelope], msgpack: bool,
                crashed: set[int]) -> list[Op[Any] | Rejected]:  # fmt: skip
    """Each envelope's op, or why it is rejected.

    The payloads of one op type are decoded in one msgspec call, as one array: a call per op cost a
    500-op push more than its inserts. If that array is refused (one payload is invalid), the type's
    ops are decoded one by one, so that only the invalid one is rejected."""
    decoded: list[Op[Any] | Rejected | None] = [None] * len(envelopes)
    by_type: dict[str, list[int]] = {}
    for i, envelope in enumerate(envelopes):
        if envelope.seq in crashed:
            decoded[i] = Rejected("internal_error", "the server failed on this op; it is kept and will be looked at")
        else:
            by_type.setdefault(envelope.type, []).append(i)
    for name, positions in by_type.items():
        group = [envelopes[i] for i in positions]
        op_type = app.ops.get(name)
        payloads = None
        if op_type is not None and device.role in op_type.roles:
            payloads = _decode_payloads(op_type, [e.payload for e in group], msgpack)
        if payloads is None:
            ops = [_decode(app, device, e, msgpack) for e in group]
        else:
            ops = [Op(e.op_id, e.seq, e.type, e.captured_at, payload) for e, payload in zip(group, payloads, strict=True)]
        for i, op in zip(positions, ops, strict=True):
            decoded[i] = op
    return decoded  # type: ignore[return-value]  # every position was filled


def _decode_payloads(op_type: OpType[Any], raws: list[msgspec.Raw], msgpack: bool) -> list[Any] | None:
    """Payloads of one type decoded as one array; None if one is invalid or holds a NUL."""
    if msgpack:
        n = len(raws)  # an array header (MessagePack fixarray, array 16 or array 32), then the payloads
        header = bytes([0x90 | n]) if n < 16 else b"\xdc" + n.to_bytes(2, "big") if n < 2**16 else b"\xdd" + n.to_bytes(4, "big")
        joined = header + b"".join(raws)
    else:
        joined = b"[" + b",".join(raws) + b"]"
    if _has_nul(joined, msgpack):
        return None
    try:
        return (op_type.list_msgpack_decoder if msgpack else op_type.list_decoder).decode(joined)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def _decode(app: SyncApplication, device: Device, envelope: OpEnvelope, msgpack: bool) -> Op[Any] | Rejected:
    op_type = app.ops.get(envelope.type)
    if op_type is None:
        return Rejected("unknown_op_type", f"unknown op type {envelope.type!r}")
    if device.role not in op_type.roles:
        return Rejected("op_not_allowed", f"a {device.role} device may not send {envelope.type}")
    try:
        payload = (op_type.msgpack_decoder if msgpack else op_type.decoder).decode(envelope.payload)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        return Rejected("invalid_payload", str(error))
    if _has_nul(envelope.payload, msgpack):
        # PostgreSQL cannot store U+0000 in text; refuse it the same way on every database.
        return Rejected("invalid_payload", "text may not contain the NUL character (U+0000)")
    return Op(envelope.op_id, envelope.seq, envelope.type, envelope.captured_at, payload)


def _has_nul(raw: Any, msgpack: bool) -> bool:
    data = bytes(raw)
    if not msgpack and b"\\u0000" not in data:  # JSON can only carry NUL escaped: a cheap first look
        return False
    decoded = msgspec.msgpack.decode(data) if msgpack else msgspec.json.decode(data)
    stack = [decoded]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            stack += value
    return False


def _payload_text(payload: msgspec.Raw, msgpack: bool) -> str:
    """The op's payload as JSON text for the op log (so a log can be replayed whatever the encoding)."""
    try:
        if msgpack:
            return msgspec.json.encode(msgspec.msgpack.decode(payload)).decode()
        return str(payload, "utf-8")
    except (msgspec.DecodeError, msgspec.EncodeError, UnicodeDecodeError, TypeError):
        # Undecodable payloads are rejected anyway; keep their bytes, losslessly.
        return msgspec.json.encode({"undecodable_base64": base64.b64encode(bytes(payload)).decode()}).decode()


class _HandlerCrashed(Exception):
    """A handler failed unexpectedly (a bug, not a rule): the batch is retried without that op."""

    def __init__(self, seq: int) -> None:
        super().__init__(seq)
        self.seq = seq


async def push(
    db: Database,
    tables: SyncTables,
    app: SyncApplication,
    device_id: str,
    request: PushRequest,
    at: datetime,
    *,
    msgpack: bool = False,
) -> PushResponse:
    """Apply a device's ops exactly once and return per-op results (after commit).

    `msgpack` says how op payloads are encoded (as the request body was)."""
    if request.protocol not in SUPPORTED_PROTOCOLS:
        raise UpgradeRequired(f"protocol {request.protocol} is not supported", supported=sorted(SUPPORTED_PROTOCOLS))
    if request.device_id != device_id:
        raise DeviceMismatch("device_id is not the device this token belongs to")
    if len(request.ops) > MAX_OPS_PER_PUSH:
        raise TooManyOps(f"at most {MAX_OPS_PER_PUSH} ops per push")
    ops = _ordered(request.ops)
    crashed: set[int] = set()
    first_only = False
    try:
        while True:
            try:
                return await _push(db, tables, app, device_id, request, ops, at, msgpack, crashed, first_only)
            except _HandlerCrashed as crash:
                # No op may block a device for ever, not even one that trips a bug: everything was
                # rolled back; run the batch again with that op rejected (its payload stays in the
                # op log, so it can be replayed once the bug is fixed).
                log.exception("op handler failed on seq %s of device %s", crash.seq, device_id, exc_info=crash.__cause__)
                crashed.add(crash.seq)
            except _BatchFailed as failure:
                # The database refused the batch's writes (a constraint its effects broke: a bug)
                # and no op is to blame by name. Apply the first new op alone and answer for it;
                # the device sends the rest again. If that op alone fails, it is the one: reject it.
                if failure.first_seq is None or failure.first_seq in crashed:
                    raise failure.__cause__ from None  # not an op's effects: even its rejection cannot be written
                if not failure.first_only:
                    first_only = True
                else:
                    log.error("the database refused seq %s of device %s", failure.first_seq, device_id, exc_info=failure.__cause__)
                    crashed.add(failure.first_seq)
                    first_only = False
    except (OperationalError, DBAPIError) as error:
        if isinstance(error, DBAPIError) and not error.connection_invalidated and not _transient(error):
            raise
        raise Unavailable("the database is busy or unavailable; retry", retry_after=1) from error


def _transient(error: DBAPIError) -> bool:
    text = str(error.orig).lower() if error.orig else str(error).lower()
    return any(word in text for word in ("locked", "busy", "deadlock", "serializ", "connection", "timeout"))


class _BatchFailed(Exception):
    """The database refused a batch for a reason a retry will not cure (not busy, not disconnected)."""

    def __init__(self, first_seq: int | None, first_only: bool) -> None:
        super().__init__(first_seq)
        self.first_seq = first_seq  # the batch's first new op, None if it had none
        self.first_only = first_only  # the batch held only that op


async def _push(db, tables, app, device_id, request, ops, at, msgpack, crashed, first_only) -> PushResponse:  # noqa: ANN001
    attempt: dict[str, int] = {}
    try:
        return await _push_once(db, tables, app, device_id, request, ops, at, msgpack, crashed, first_only, attempt)
    except DBAPIError as error:
        if error.connection_invalidated or _transient(error):
            raise
        raise _BatchFailed(attempt.get("first_new"), first_only) from error


async def _push_once(db, tables, app, device_id, request, ops, at, msgpack, crashed, first_only, attempt) -> PushResponse:  # noqa: ANN001
    log = tables.op_log.c
    async with db.write() as conn:
        name, role, scope, last_seq = await _lock_device(conn, tables, device_id)
        skew = int((request.sent_at - at).total_seconds() * 1000) if request.sent_at else None
        device = Device(device_id, name, role, scope, last_seq, skew)
        old = [op for op in ops if op.seq <= last_seq]
        new = [op for op in ops if op.seq > last_seq]
        if new and (new[0].seq != last_seq + 1 or new[-1].seq - new[0].seq != len(new) - 1):
            raise SeqGap(f"expected seq {last_seq + 1}", expected_seq=last_seq + 1)
        if new:
            attempt["first_new"] = new[0].seq
            if first_only:
                new = new[:1]

        results: dict[int, OpResult] = {}
        if old:
            stored = {
                r.seq: r
                for r in await conn.execute(
                    select(log.seq, log.op_id, log.status, log.code, log.message).where(
                        log.device_id == device_id, log.seq.in_([op.seq for op in old])
                    )
                )
            }
            for op in old:
                s = stored.get(op.seq)
                if s is not None and s.op_id.replace("-", "").lower() != op.op_id.replace("-", "").lower():
                    results[op.seq] = OpResult(op.seq, "rejected", "seq_reused", "this seq was used by another op")
                else:
                    results[op.seq] = OpResult(op.seq, "duplicate", s.code if s else None, s.message if s else None)

        decoded = _decode_all(app, device, new, msgpack, crashed)
        workspace = app.workspace(conn, device, at)
        await workspace.load([op for op in decoded if isinstance(op, Op)])
        missing_blobs = await _missing_blobs(conn, tables, workspace, decoded)

        log_rows = []
        handlers = {name: op_type.handler for name, op_type in app.ops.items()}
        for envelope, op in zip(new, decoded, strict=True):
            seq = envelope.seq
            if missing_blobs and isinstance(op, Op) and missing_blobs.get(seq):
                results[seq] = OpResult(seq, "retry", "blob_missing", "upload the blobs, then push again",
                                        blobs=missing_blobs[seq])  # fmt: skip
                break  # later ops wait: seqs are applied strictly in order
            if isinstance(op, Op):
                try:
                    handlers[op.type](workspace, op)
                    result = OpResult(seq, "applied")
                except Rejected as refusal:
                    result = OpResult(seq, "rejected", refusal.code, refusal.message)
                except Exception as error:
                    raise _HandlerCrashed(seq) from error
            else:
                result = OpResult(seq, "rejected", op.code, op.message)
            results[seq] = result
            log_rows.append(
                (device_id, seq, envelope.op_id, envelope.type, envelope.captured_at, at, result.status,
                 result.code, result.message, _payload_text(envelope.payload, msgpack))
            )  # fmt: skip

        deferred = await workspace.flush() or ()
        if log_rows:
            last_seq = log_rows[-1][1]
        rejected = [r for r in results.values() if r.status == "rejected" and r.seq > device.last_seq]
        dialect = conn.dialect.name
        device_values = {
            "last_seq": last_seq,
            "last_push_at": at,
            "last_seen_at": at,
            "pending": request.pending,
            "app_version": request.app_version or None,
            "clock_skew_ms": skew,
            "last_error": f"seq {rejected[-1].seq} rejected: {rejected[-1].code}" if rejected else None,
        }
        # The workspace's plain rows (raw scans), the op log and the device's checkpoint in one
        # hand-off (bulk.run): they are most of the batch's bytes.
        await bulk.run(conn, [
            *deferred,
            bulk.insert(dialect, tables.op_log, LOG_COLUMNS, log_rows),
            bulk.update(dialect, tables.devices, ("id", device_id), device_values,
                        keep_if_none=("app_version", "clock_skew_ms", "last_error")),
        ])  # fmt: skip
        await changelog.record(conn, tables, workspace.changes, at)
    return PushResponse([results[seq] for seq in sorted(results)], last_seq)


async def _lock_device(conn, tables: SyncTables, device_id: str) -> tuple[str, str, dict, int]:  # noqa: ANN001
    """The device's name, role, scope and last seq, its row locked until commit.

    Read straight from the driver (on SQLite one hand-off to aiosqlite's thread instead of four).
    SQLite: the transaction already holds the database's write lock. PostgreSQL: FOR UPDATE, so two
    pushes of one device apply one after the other."""
    lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
    sql = f'SELECT name, role, scope, last_seq FROM "{tables.devices.name}" WHERE id = ?{lock}'
    ((name, role, scope, last_seq),) = await bulk.fetch(conn, sql, (device_id,))
    return name, role, bulk.json_value(scope), last_seq


async def _missing_blobs(conn, tables: SyncTables, workspace, decoded) -> dict[int, list[str]]:  # noqa: ANN001
    """Per op seq, the referenced blobs the server does not hold (one query for the batch)."""
    needed = workspace.blobs_needed
    wanted = {op.seq: hs for op in decoded if isinstance(op, Op) and (hs := needed(op))}
    hashes = sorted({h for hs in wanted.values() for h in hs})
    if not hashes:
        return {}
    present = set((await conn.execute(select(tables.blobs.c.sha256).where(tables.blobs.c.sha256.in_(hashes)))).scalars())
    return {seq: [h for h in hs if h not in present] for seq, hs in wanted.items() if any(h not in present for h in hs)}
