"""No op blocks a device for ever — not even one that trips a server bug — and MessagePack pushes
carry their payloads intact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select

from server.db.tables import SYNC, scans
from server.syncapp.app import TallySync
from sync import push as pushing
from sync.database import Database
from sync.protocol import OpEnvelope, PushRequest
from sync.registry import Op, op_type
from tests.sync.fixtures import a_device, auth, push_body, scan_op

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Boom(msgspec.Struct, frozen=True):
    pass


@op_type("Boom", Boom, fact=True, roles=["picker"])
def boom(_workspace: Any, _op: Op[Boom]) -> None:
    raise ZeroDivisionError("a bug in a handler")


class BadRow(msgspec.Struct, frozen=True):
    pass


@op_type("BadRow", BadRow, fact=True, roles=["picker"])
def bad_row(workspace: Any, op: Op[BadRow]) -> None:
    # A bug the handler cannot see: a scan row without its code breaks a NOT NULL constraint
    # only when the batch is written.
    workspace.scans.append((workspace.device.id, op.seq, None, None, "", op.captured_at, workspace.at))


def _envelope(seq: int, type_: str, payload: dict) -> OpEnvelope:
    return OpEnvelope(f"00000000-0000-4000-8000-{seq:012d}", seq, type_, AT, msgspec.Raw(msgspec.json.encode(payload)))


async def test_an_op_that_crashes_its_handler_is_rejected_and_the_rest_of_the_batch_applies(db: Database) -> None:
    app = TallySync()
    app.ops["Boom"] = boom
    device, _token = await a_device(db)
    request = PushRequest(1, device, [_envelope(1, "RecordScan", {"code": "A"}), _envelope(2, "Boom", {}),
                                      _envelope(3, "RecordScan", {"code": "C"})])  # fmt: skip
    response = await pushing.push(db, SYNC, app, device, request, AT)
    assert [(r.seq, r.status, r.code) for r in response.results] == [(1, "applied", None), (2, "rejected", "internal_error"),
                                                                      (3, "applied", None)]  # fmt: skip
    assert response.last_seq == 3
    async with db.read() as conn:
        assert (await conn.execute(select(scans.c.code).order_by(scans.c.seq))).scalars().all() == ["A", "C"]
        kept = (await conn.execute(select(SYNC.op_log.c.type, SYNC.op_log.c.status).where(SYNC.op_log.c.seq == 2))).one()
    assert tuple(kept) == ("Boom", "rejected")  # kept in the op log for a replay once fixed


async def test_an_op_whose_writes_the_database_refuses_is_isolated_and_rejected(db: Database) -> None:
    app = TallySync()
    app.ops["BadRow"] = bad_row
    device, _token = await a_device(db)
    ops = [_envelope(1, "RecordScan", {"code": "A"}), _envelope(2, "BadRow", {}), _envelope(3, "RecordScan", {"code": "C"})]
    answers = []
    for _ in range(4):  # the device sends what is not yet answered, as a client does
        pending = [op for op in ops if op.seq > max([r.seq for a in answers for r in a.results], default=0)]
        if not pending:
            break
        answers.append(await pushing.push(db, SYNC, app, device, PushRequest(1, device, pending), AT))
    results = {r.seq: (r.status, r.code) for a in answers for r in a.results}
    assert results == {1: ("applied", None), 2: ("rejected", "internal_error"), 3: ("applied", None)}
    assert len(answers) <= 2  # the first answer covers the op before the bad one; the second the rest
    async with db.read() as conn:
        assert (await conn.execute(select(scans.c.code).order_by(scans.c.seq))).scalars().all() == ["A", "C"]
        logged = (await conn.execute(select(SYNC.op_log.c.seq, SYNC.op_log.c.status).order_by(SYNC.op_log.c.seq))).all()
    assert [tuple(r) for r in logged] == [(1, "applied"), (2, "rejected"), (3, "applied")]


async def test_a_messagepack_push_applies_and_logs_its_payloads_as_json(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    body = push_body(device, [scan_op(1, "4601000000017"), scan_op(2, "LA0101")])
    response = await client.post(
        "/api/sync/push", content=msgspec.msgpack.encode(body),
        headers=auth(token) | {"content-type": "application/msgpack", "accept": "application/msgpack"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    decoded = msgspec.msgpack.decode(response.content)
    assert [r["status"] for r in decoded["results"]] == ["applied", "applied"]
    async with db.read() as conn:
        payloads = (await conn.execute(select(SYNC.op_log.c.payload).order_by(SYNC.op_log.c.seq))).scalars().all()
    assert [msgspec.json.decode(p)["code"] for p in payloads] == ["4601000000017", "LA0101"]


async def test_the_messagepack_client_round_trips_ops(client, db, tmp_path) -> None:  # noqa: ANN001
    from tests.sync.fixtures import a_client

    device, token = await a_device(db)
    phone = a_client(tmp_path, client, device, token, msgpack=True)
    for code in ("A", "B", "C"):
        phone.record("RecordScan", {"code": code, "context": "pick"})
    await phone.sync()
    assert phone.pending_count() == 0 and phone.rejected() == []
    async with db.read() as conn:
        assert (await conn.execute(select(scans.c.code).order_by(scans.c.seq))).scalars().all() == ["A", "B", "C"]


async def test_a_nul_character_in_a_payload_is_refused_alike_on_every_database(db: Database) -> None:
    """PostgreSQL cannot store U+0000 in text: without this refusal the op failed the batch on every retry."""
    app = TallySync()
    device, _token = await a_device(db)
    request = PushRequest(1, device, [_envelope(1, "RecordScan", {"code": "ab\u0000c"}), _envelope(2, "RecordScan", {"code": "B"})])
    response = await pushing.push(db, SYNC, app, device, request, AT)
    assert [(r.seq, r.status, r.code) for r in response.results] == [(1, "rejected", "invalid_payload"), (2, "applied", None)]
    async with db.read() as conn:
        assert (await conn.execute(select(scans.c.code))).scalars().all() == ["B"]
