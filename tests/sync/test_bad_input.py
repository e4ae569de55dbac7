"""Bad sync input: stable codes, no partial effects, nothing already accepted is dropped."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from server.db.tables import scans
from server.usecases.devices import revoke_device
from sync.database import Database
from tests.conftest import count_rows
from tests.sync.fixtures import a_device, auth, push_body, scan_op

EFFECTS = ("scans", "op_log", "changes", "blobs")


async def _refused(client, db, path: str, status: int, code: str, **kwargs) -> dict:  # noqa: ANN001
    before = await count_rows(db, *EFFECTS)
    response = await client.post(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert await count_rows(db, *EFFECTS) == before
    return response.json()


async def test_an_old_protocol_gets_upgrade_required(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    body = push_body(device, [scan_op(1)]) | {"protocol": 0}
    await _refused(client, db, "/api/sync/push", 426, "upgrade_required", json=body, headers=auth(token))
    await _refused(client, db, "/api/sync/pull", 426, "upgrade_required", json={"protocol": 99}, headers=auth(token))


async def test_a_device_id_that_is_not_the_tokens_is_refused(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    other, _ = await a_device(db, name="other")
    await _refused(client, db, "/api/sync/push", 403, "device_mismatch", json=push_body(other, [scan_op(1)]), headers=auth(token))


async def test_an_oversized_batch_is_refused(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    ops = [scan_op(i) for i in range(1, 1002)]
    problem = await _refused(client, db, "/api/sync/push", 413, "too_many_ops", json=push_body(device, ops), headers=auth(token))
    assert "1000" in problem["detail"]


async def test_a_body_over_the_byte_limit_is_refused(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    ops = [scan_op(i, "X" * 199, location="L" * 60) for i in range(1, 1000)]  # ~350 KiB > the test app's 256 KiB
    await _refused(client, db, "/api/sync/push", 413, "body_too_large", json=push_body(device, ops), headers=auth(token))


@pytest.mark.parametrize(
    "envelope",
    [
        {"seq": 1, "type": "RecordScan", "captured_at": "2026-11-27T10:00:00Z", "payload": {"code": "A"}},  # no op_id
        {"op_id": "not-a-uuid", "seq": 1, "type": "RecordScan", "captured_at": "2026-11-27T10:00:00Z", "payload": {}},
        # the length of a UUID, not its letters; checked over the whole request after decoding
        {"op_id": "zzzzzzzz-8d1b-4c57-9a63-0d2f6b1e9c11", "seq": 1, "type": "RecordScan", "captured_at": "2026-11-27T10:00:00Z"},
        {"op_id": "6f1c2a4e-8d1b-4c57-9a63-0d2f6b1e9c11", "seq": 1, "type": "Record Scan", "captured_at": "2026-11-27T10:00:00Z"},
        {"op_id": "6f1c2a4e-8d1b-4c57-9a63-0d2f6b1e9c11", "seq": 0, "type": "RecordScan", "captured_at": "2026-11-27T10:00:00Z"},
        {"op_id": "6f1c2a4e-8d1b-4c57-9a63-0d2f6b1e9c11", "seq": 1.0, "type": "RecordScan", "captured_at": "2026-11-27T10:00:00Z"},
        {"op_id": "6f1c2a4e-8d1b-4c57-9a63-0d2f6b1e9c11", "seq": 1, "type": "RecordScan", "captured_at": "yesterday"},
    ],
)
async def test_malformed_envelopes_refuse_the_request(client, db, envelope: dict) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    await _refused(client, db, "/api/sync/push", 400, "invalid_body", json=push_body(device, [envelope]), headers=auth(token))


async def test_malformed_json_and_msgpack_bodies_are_refused(client, db) -> None:  # noqa: ANN001
    _device, token = await a_device(db)
    await _refused(client, db, "/api/sync/push", 400, "invalid_body", content=b"{not json",
                   headers=auth(token) | {"content-type": "application/json"})  # fmt: skip
    await _refused(client, db, "/api/sync/push", 400, "invalid_body", content=b"\xc1\xc1\xc1",
                   headers=auth(token) | {"content-type": "application/msgpack"})  # fmt: skip


async def test_an_office_token_cannot_push(client, db, tokens) -> None:  # noqa: ANN001
    device, _ = await a_device(db)
    await _refused(client, db, "/api/sync/push", 403, "forbidden", json=push_body(device, [scan_op(1)]), headers=auth(tokens["admin"]))


async def test_a_revoked_device_is_refused_at_once_and_what_it_pushed_stays(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    ok = await client.post("/api/sync/push", json=push_body(device, [scan_op(1)]), headers=auth(token))
    assert ok.status_code == 200
    await revoke_device(db, device)
    await _refused(client, db, "/api/sync/push", 401, "device_revoked", json=push_body(device, [scan_op(2)]), headers=auth(token))
    await _refused(client, db, "/api/sync/pull", 401, "device_revoked", json={"protocol": 1}, headers=auth(token))
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(scans))).scalar_one() == 1


async def test_an_enrollment_code_works_once(client, db, tokens) -> None:  # noqa: ANN001
    from server.usecases.catalog import create_warehouse

    warehouse = await create_warehouse(db, "W9", "Склад 9")
    created = await client.post("/api/devices/enrollments", json={"role": "picker", "warehouse_id": warehouse},
                                headers=auth(tokens["admin"]))  # fmt: skip
    assert created.status_code == 201
    code = created.json()["code"]
    assert code in created.json()["qr_text"]
    first = await client.post("/api/devices/enroll", json={"code": code.lower().replace("-", " "), "name": "TC52"})
    assert first.status_code == 201 and first.json()["token"].startswith("tld_")
    again = await client.post("/api/devices/enroll", json={"code": code, "name": "TC52 copy"})
    assert again.status_code == 409 and again.json()["code"] == "enrollment_invalid"


async def test_a_supervisor_of_one_warehouse_cannot_enroll_for_another(client, db) -> None:  # noqa: ANN001
    from server.usecases.catalog import create_warehouse
    from server.usecases.tokens import create_token

    mine, theirs = await create_warehouse(db, "A", "A"), await create_warehouse(db, "B", "B")
    token, _ = await create_token(db, "supervisor", "sup-a", warehouse_id=mine)
    response = await client.post("/api/devices/enrollments", json={"role": "picker", "warehouse_id": theirs}, headers=auth(token))
    assert response.status_code == 422 and response.json()["code"] == "scope_forbidden"


class TestBlobs:
    PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    async def _put(self, client, token: str, data: bytes, content_type: str, digest: str | None = None):  # noqa: ANN001, ANN202
        digest = digest or hashlib.sha256(data).hexdigest()
        return await client.put(f"/api/blobs/{digest}", content=data, headers=auth(token) | {"content-type": content_type})

    async def test_a_blob_is_stored_by_hash_idempotently(self, client, db: Database) -> None:  # noqa: ANN001
        _device, token = await a_device(db)
        first = await self._put(client, token, self.PNG, "image/png")
        again = await self._put(client, token, self.PNG, "image/png")
        assert (first.status_code, again.status_code) == (201, 200)
        fetched = await client.get(f"/api/blobs/{hashlib.sha256(self.PNG).hexdigest()}", headers=auth(token))
        assert fetched.content == self.PNG

    async def test_content_that_does_not_match_its_hash_is_refused(self, client, db) -> None:  # noqa: ANN001
        _device, token = await a_device(db)
        response = await self._put(client, token, self.PNG, "image/png", digest="0" * 64)
        assert response.status_code == 422 and response.json()["code"] == "blob_hash_mismatch"
        assert (await count_rows(db, "blobs"))["blobs"] == 0

    async def test_wrong_types_and_oversized_blobs_are_refused(self, client, db) -> None:  # noqa: ANN001
        _device, token = await a_device(db)
        assert (await self._put(client, token, b"GIF89a....", "image/gif")).json()["code"] == "blob_type_unsupported"
        assert (await self._put(client, token, b"not a png", "image/png")).json()["code"] == "blob_type_mismatch"
        big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024)
        response = await self._put(client, token, big, "image/png")
        assert response.status_code == 413 and response.json()["code"] == "blob_too_large"
        assert (await count_rows(db, "blobs"))["blobs"] == 0

    async def test_another_device_cannot_read_a_blob(self, client, db) -> None:  # noqa: ANN001
        _a, token_a = await a_device(db, name="a")
        _b, token_b = await a_device(db, name="b")
        await self._put(client, token_a, self.PNG, "image/png")
        response = await client.get(f"/api/blobs/{hashlib.sha256(self.PNG).hexdigest()}", headers=auth(token_b))
        assert response.status_code == 404


async def test_a_device_time_without_an_offset_is_refused(client, db) -> None:  # noqa: ANN001
    device, token = await a_device(db)
    naive = scan_op(1) | {"captured_at": "2026-11-27T10:00:00"}
    problem = await _refused(client, db, "/api/sync/push", 400, "invalid_body", json=push_body(device, [naive]), headers=auth(token))
    assert "captured_at" in problem["detail"]


async def test_an_id_beyond_64_bits_in_a_payload_rejects_that_op_and_the_device_goes_on(client, db) -> None:  # noqa: ANN001
    # Found by fuzzing: the batch's state was loaded with the id before any handler ran, the database
    # driver could not bind it, and the whole push answered 500 on every retry: a poison op.
    device, token = await a_device(db, role="checker")
    check = scan_op(1) | {"type": "CheckOrder", "payload": {"order_id": 2**70, "items": []}}
    response = await client.post("/api/sync/push", json=push_body(device, [check, scan_op(2)]), headers=auth(token))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["seq"], r["status"]) for r in results] == [(1, "rejected"), (2, "applied")]
    assert results[0]["code"] == "invalid_payload"
    assert response.json()["last_seq"] == 2
