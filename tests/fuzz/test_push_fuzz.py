"""Hypothesis through POST /api/sync/push and /pull: random and mutated ops of every registered op
type, sent as JSON or MessagePack by a device of every role, and undecodable bodies. The server never
answers 5xx; a batch it accepts answers every op (applied, duplicate, rejected or retry) and
advances the device's last seq past every op answered (a rejected op too: no poison op)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.app import attach_database, create_app
from server.settings import Settings
from server.syncapp.app import TallySync
from server.usecases.devices import DeviceRole, create_enrollment, enroll
from server.usecases.routes import create_courier
from sync.database import Database
from tests.builders import a_world

OP_TYPES = TallySync().ops
MSGPACK = "application/msgpack"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63) | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
MSGPACK_VALUES = st.recursive(  # what MessagePack can carry: integers within 64 bits, and bytes
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | st.text(max_size=40) | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def payloads(draw: st.DrawFn, op_type: str) -> Any:
    """A payload built from the op type's own struct (any values its types allow), or one mutated from it."""
    payload = msgspec.to_builtins(draw(st.builds(OP_TYPES[op_type].payload)))
    mutation = draw(st.sampled_from(["none", "replace", "drop", "add", "other"]))
    if mutation == "replace" and payload:
        payload[draw(st.sampled_from(sorted(payload)))] = draw(JSON_VALUES)
    elif mutation == "drop" and payload:
        del payload[draw(st.sampled_from(sorted(payload)))]
    elif mutation == "add":
        payload[draw(st.text(min_size=1, max_size=12))] = draw(JSON_VALUES)
    elif mutation == "other":
        payload = draw(JSON_VALUES)
    return payload


@st.composite
def batches(draw: st.DrawFn, roles: list[str]) -> tuple[str, list[dict], bool]:
    """A device role and 1-4 ops for it (op types of any role: a wrong role is refused per op)."""
    role = draw(st.sampled_from(roles))
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        op_type = draw(st.sampled_from(sorted(OP_TYPES)))
        skew = draw(st.integers(-3 * 86_400, 3_600))
        ops.append({"op_id": str(uuid.uuid4()), "type": op_type, "payload": draw(payloads(op_type)),
                    "captured_at": (datetime.now(UTC) + timedelta(seconds=skew)).isoformat()})  # fmt: skip
    return role, ops, draw(st.booleans())


class Devices:
    """One enrolled device per role, with the seq each will send next."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.next_seq: dict[str, int] = {}
        self.answered = 0

    async def enroll_all(self, db: Database) -> None:
        world = await a_world(db, {"BOLT": 50})
        courier = await create_courier(db, "Курьер", "+7 900 000-00-09", world["warehouse"])
        for role in DeviceRole:
            scope = {"courier_id": courier} if role == DeviceRole.COURIER else {"warehouse_id": world["warehouse"]}
            enrolled = await enroll(db, (await create_enrollment(db, "fuzz", role, scope)).code, f"fuzz-{role}", "1.0.0")
            self.ids[role], self.tokens[role], self.next_seq[role] = enrolled.device_id, enrolled.token, 1

    async def push(self, role: str, ops: list[dict], msgpack: bool) -> httpx.Response:
        for i, op in enumerate(ops):
            op["seq"] = self.next_seq[role] + i
        body = {"protocol": 1, "device_id": self.ids[role], "ops": ops}
        headers = {"authorization": f"Bearer {self.tokens[role]}", "accept": MSGPACK if msgpack else "application/json"}
        try:  # MessagePack cannot carry integers beyond 64 bits: such a batch goes as JSON
            content, headers["content-type"] = (msgspec.msgpack.encode(body), MSGPACK) if msgpack else (b"", "")
        except OverflowError:
            content = b""
        if not content:
            content, headers["content-type"] = msgspec.json.encode(body), "application/json"
        return await self.client.post("/api/sync/push", content=content, headers=headers)


def _run(sqlite_template: Path, tmp_path: Path, check: Any) -> None:
    path = tmp_path / "push-fuzz.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    with asyncio.Runner() as runner:
        db = Database(url)
        app = create_app(Settings(database_url=url, max_body_bytes=256 * 1024), database=db)
        attach_database(app, db)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        devices = Devices(client)
        runner.run(devices.enroll_all(db))
        try:
            check(runner, devices)
        finally:
            runner.run(client.aclose())
            runner.run(db.dispose())


def test_random_and_mutated_ops_of_every_type_never_answer_a_server_error(sqlite_template: Path, tmp_path: Path) -> None:
    def check(runner: asyncio.Runner, devices: Devices) -> None:
        @settings(max_examples=250, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(batch=batches([str(r) for r in DeviceRole]))
        def one(batch: tuple[str, list[dict], bool]) -> None:
            role, ops, msgpack = batch
            response = runner.run(devices.push(role, ops, msgpack))
            assert response.status_code < 500, response.text
            if response.status_code != 200:  # the whole batch refused (a bad envelope): nothing was taken
                assert response.json()["code"]
                return
            answer = msgspec.msgpack.decode(response.content) if msgpack else response.json()
            assert [r["seq"] for r in answer["results"]] == [op["seq"] for op in ops]
            assert {r["status"] for r in answer["results"]} <= {"applied", "duplicate", "rejected", "retry"}
            answered = [r["seq"] for r in answer["results"] if r["status"] != "retry"]
            if answered:
                assert answer["last_seq"] >= max(answered)  # a rejected op advances seq too: no poison op
            devices.next_seq[role] = answer["last_seq"] + 1
            devices.answered += len(answered)

        one()
        assert devices.answered > 0  # ops really went through the handlers, not only the envelope check

    _run(sqlite_template, tmp_path, check)


def test_undecodable_push_and_pull_bodies_are_refused_with_a_code(sqlite_template: Path, tmp_path: Path) -> None:
    def check(runner: asyncio.Runner, devices: Devices) -> None:
        bodies = st.binary(max_size=200) | MSGPACK_VALUES.map(msgspec.msgpack.encode) | JSON_VALUES.map(msgspec.json.encode)

        @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(body=bodies, path=st.sampled_from(["/api/sync/push", "/api/sync/pull"]), msgpack=st.booleans())
        def one(body: bytes, path: str, msgpack: bool) -> None:
            headers = {"authorization": f"Bearer {devices.tokens['picker']}",
                       "content-type": MSGPACK if msgpack else "application/json"}  # fmt: skip
            response = runner.run(devices.client.post(path, content=body, headers=headers))
            assert response.status_code < 500, response.text
            if response.status_code != 200:
                assert response.json()["code"]

        one()

    _run(sqlite_template, tmp_path, check)
