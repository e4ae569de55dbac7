"""Exactly-once push: replays, partial replays, reordering, concurrency, gaps, rejections."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from server.db.tables import SYNC, scans
from sync.database import Database
from tests.sync.fixtures import a_device, auth, push_body, scan_op


async def _scans(db: Database) -> list[tuple[str, int]]:
    async with db.read() as conn:
        return [(r.device_id, r.seq) for r in await conn.execute(select(scans.c.device_id, scans.c.seq).order_by(scans.c.seq))]


async def test_a_push_applies_each_op_and_answers_after_commit(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    response = await client.post("/api/sync/push", json=push_body(device, [scan_op(1), scan_op(2)]), headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [{"seq": 1, "status": "applied"}, {"seq": 2, "status": "applied"}]
    assert response.json()["last_seq"] == 2
    assert await _scans(db) == [(device, 1), (device, 2)]


async def test_a_replayed_push_answers_duplicates_and_applies_nothing_twice(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    body = push_body(device, [scan_op(1), scan_op(2), scan_op(3)])
    first = await client.post("/api/sync/push", json=body, headers=auth(token))
    again = await client.post("/api/sync/push", json=body, headers=auth(token))
    assert [r["status"] for r in first.json()["results"]] == ["applied"] * 3
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert len(await _scans(db)) == 3


async def test_a_partially_replayed_push_applies_only_the_new_tail(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    ops = [scan_op(i) for i in range(1, 6)]
    await client.post("/api/sync/push", json=push_body(device, ops[:3]), headers=auth(token))
    response = await client.post("/api/sync/push", json=push_body(device, ops[1:]), headers=auth(token))
    assert [r["status"] for r in response.json()["results"]] == ["duplicate", "duplicate", "applied", "applied"]
    assert [s for _, s in await _scans(db)] == [1, 2, 3, 4, 5]


async def test_ops_sent_out_of_order_in_one_push_are_applied_in_seq_order(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    ops = [scan_op(3, "C"), scan_op(1, "A"), scan_op(2, "B")]
    response = await client.post("/api/sync/push", json=push_body(device, ops), headers=auth(token))
    assert [r["seq"] for r in response.json()["results"]] == [1, 2, 3]
    async with db.read() as conn:
        codes = (await conn.execute(select(scans.c.code).order_by(scans.c.seq))).scalars().all()
    assert codes == ["A", "B", "C"]


async def test_a_gap_is_refused_with_the_expected_seq_and_nothing_applied(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    await client.post("/api/sync/push", json=push_body(device, [scan_op(1)]), headers=auth(token))
    response = await client.post("/api/sync/push", json=push_body(device, [scan_op(3), scan_op(4)]), headers=auth(token))
    assert response.status_code == 409
    assert response.json()["code"] == "seq_gap" and response.json()["expected_seq"] == 2
    assert len(await _scans(db)) == 1


async def test_a_gap_inside_a_batch_is_refused_whole(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    response = await client.post("/api/sync/push", json=push_body(device, [scan_op(1), scan_op(2), scan_op(4)]), headers=auth(token))
    assert response.status_code == 409 and response.json()["code"] == "seq_gap"
    assert await _scans(db) == []


async def test_a_rejected_op_still_advances_last_seq(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    bad = scan_op(2)
    bad["payload"] = {"code": ""}  # an empty code breaks the payload's rules
    unknown = scan_op(3)
    unknown["type"] = "TeleportParcel"
    response = await client.post("/api/sync/push", json=push_body(device, [scan_op(1), bad, unknown, scan_op(4)]), headers=auth(token))
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert (results[1]["code"], results[2]["code"]) == ("invalid_payload", "unknown_op_type")
    assert response.json()["last_seq"] == 4
    # the rejection is remembered: a replay answers it again with the same code
    again = await client.post("/api/sync/push", json=push_body(device, [bad]), headers=auth(token))
    assert again.json()["results"] == [{"seq": 2, "status": "duplicate", "code": "invalid_payload",
                                        "message": results[1]["message"]}]  # fmt: skip


async def test_an_op_the_device_role_may_not_send_is_rejected(client, db) -> None:  # noqa: ANN001
    from server.usecases.routes import create_courier

    warehouse_device, _ = await a_device(db)
    async with db.read() as conn:
        wh = (await conn.execute(select(SYNC.devices.c.scope).where(SYNC.devices.c.id == warehouse_device))).scalar_one()["warehouse_id"]
    courier_id = await create_courier(db, "Курьер", None, wh)
    device, token = await a_device(db, "courier", {"courier_id": courier_id})
    response = await client.post("/api/sync/push", json=push_body(device, [scan_op(1)]), headers=auth(token))
    assert response.json()["results"][0]["code"] == "op_not_allowed"


async def test_the_same_device_pushing_concurrently_applies_every_op_once(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    ops = [scan_op(i) for i in range(1, 41)]
    # Eight overlapping requests race: each carries a prefix of the outbox, as retries would.
    bodies = [push_body(device, ops[: 5 * k]) for k in range(1, 9)]
    responses = await asyncio.gather(*(client.post("/api/sync/push", json=b, headers=auth(token)) for b in bodies))
    assert all(r.status_code == 200 for r in responses)
    assert [s for _, s in await _scans(db)] == list(range(1, 41))
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(SYNC.op_log))).scalar_one() == 40
        assert (await conn.execute(select(SYNC.devices.c.last_seq).where(SYNC.devices.c.id == device))).scalar_one() == 40


async def test_a_reused_seq_with_another_op_id_is_not_taken_as_a_duplicate(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    await client.post("/api/sync/push", json=push_body(device, [scan_op(1)]), headers=auth(token))
    response = await client.post("/api/sync/push", json=push_body(device, [scan_op(1)]), headers=auth(token))
    assert response.json()["results"][0] == {"seq": 1, "status": "rejected", "code": "seq_reused",
                                             "message": "this seq was used by another op"}  # fmt: skip


async def test_a_device_clock_off_by_a_day_is_flagged_once_and_ordering_is_unaffected(client, db) -> None:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    from server.db.tables import exceptions

    device, token = await a_device(db)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for seq in (1, 2):
        body = push_body(device, [scan_op(seq) | {"captured_at": tomorrow}]) | {"sent_at": tomorrow}
        response = await client.post("/api/sync/push", json=body, headers=auth(token))
        assert response.json()["results"][0]["status"] == "applied"
    async with db.read() as conn:
        flagged = (await conn.execute(select(exceptions.c.kind, exceptions.c.detail).where(exceptions.c.device_id == device))).all()
        skew = (await conn.execute(select(SYNC.devices.c.clock_skew_ms).where(SYNC.devices.c.id == device))).scalar_one()
        recorded = (await conn.execute(select(SYNC.op_log.c.received_at).order_by(SYNC.op_log.c.seq))).scalars().all()
    assert [k for k, _ in flagged] == ["clock_skew"]  # one open exception, not one per push
    assert skew > 23 * 3600 * 1000
    assert recorded == sorted(recorded) and recorded[-1] < datetime.now(UTC)  # server time orders, not the device's


async def test_a_rejection_is_kept_as_the_devices_last_error(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    bad = scan_op(1) | {"type": "Nope"}
    await client.post("/api/sync/push", json=push_body(device, [bad]), headers=auth(token))
    async with db.read() as conn:
        error = (await conn.execute(select(SYNC.devices.c.last_error).where(SYNC.devices.c.id == device))).scalar_one()
    assert error == "seq 1 rejected: unknown_op_type"


async def test_a_msgpack_batch_of_one_type_is_applied_whole_but_its_invalid_op(client, db) -> None:  # noqa: ANN001
    # One op type's payloads are decoded as one array (a MessagePack array 16 past 15 ops); an invalid one
    # sends that type back to one-by-one decoding, so that it alone is rejected.
    import msgspec

    device, token = await a_device(db)
    ops = [scan_op(seq) for seq in range(1, 21)]
    ops[16]["payload"] = {"code": 17}  # not a string
    response = await client.post("/api/sync/push", content=msgspec.msgpack.encode(push_body(device, ops)),
                                 headers=auth(token) | {"content-type": "application/msgpack"})  # fmt: skip
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["seq"] for r in results if r["status"] != "applied"] == [17]
    assert results[16]["code"] == "invalid_payload"
    assert await _scans(db) == [(device, seq) for seq in range(1, 21) if seq != 17]


def test_payloads_of_one_type_decode_as_one_array_at_every_messagepack_array_size() -> None:
    # fixarray (under 16), array 16 and array 32 headers; None only when a payload is invalid.
    import msgspec

    from server.syncapp.scans import RecordScan, record_scan
    from sync.push import _decode_payloads

    for n in (1, 15, 16, 2**16 - 1, 2**16):
        raws = [msgspec.Raw(msgspec.msgpack.encode({"code": f"C{i}"})) for i in range(n)]
        decoded = _decode_payloads(record_scan, raws, msgpack=True)
        assert decoded is not None and len(decoded) == n and decoded[-1] == RecordScan(f"C{n - 1}"), n
        json_raws = [msgspec.Raw(msgspec.json.encode({"code": f"C{i}"})) for i in range(n)]
        assert _decode_payloads(record_scan, json_raws, msgpack=False) == decoded
    bad = [msgspec.Raw(msgspec.msgpack.encode({"code": "A"})), msgspec.Raw(msgspec.msgpack.encode({"code": 1}))]
    assert _decode_payloads(record_scan, bad, msgpack=True) is None
    nul = [msgspec.Raw(msgspec.json.encode({"code": "A\u0000"}))]
    assert _decode_payloads(record_scan, nul, msgpack=False) is None
