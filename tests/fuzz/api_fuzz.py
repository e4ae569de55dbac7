"""Schema-driven fuzzing of the HTTP API: schemathesis generates requests from the app's own
OpenAPI document (valid ones, and ones that break the schema on purpose), each is sent in-process
with a live token, and no answer may be a server error. Shared by the bounded test
(tests/fuzz/test_api_fuzz.py) and the long run (scripts/fuzz_api.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from server.app import attach_database, create_app
from server.settings import Settings
from server.usecases.devices import create_enrollment, enroll
from server.usecases.tokens import create_token
from sync.database import Database
from tests.builders import a_world

# The live-hint stream never ends (its tests read it: tests/sync/test_hints.py).
SKIPPED = {"syncEvents"}
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class Target:
    """The app on a database with a small world and a token for each kind of caller."""

    client: httpx.AsyncClient
    tokens: dict[str, str]
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @classmethod
    async def open(cls, database_url: str) -> Target:
        db = Database(database_url)
        world = await a_world(db, {"BOLT": 50, "NUT": 20})
        tokens = {role: (await create_token(db, role, f"fuzz-{role}"))[0] for role in ("admin", "office", "integration")}
        tokens["supervisor"] = (await create_token(db, "supervisor", "fuzz-supervisor", warehouse_id=world["warehouse"]))[0]
        for role in ("picker", "packer", "warehouse"):
            code = await create_enrollment(db, "fuzz", role, {"warehouse_id": world["warehouse"]})
            tokens[f"device_{role}"] = (await enroll(db, code.code, f"fuzz-{role}", "1.0.0")).token
        app = create_app(Settings(database_url=database_url, max_body_bytes=256 * 1024), database=db)
        attach_database(app, db)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        target = cls(client, tokens)
        target.db = db  # type: ignore[attr-defined]
        return target

    async def close(self) -> None:
        await self.client.aclose()
        await self.db.dispose()  # type: ignore[attr-defined]

    def callers(self, operation_id: str) -> list[str]:
        """The tokens worth trying on an operation: devices on sync, office and supervisor elsewhere."""
        if operation_id in ("syncPush", "syncPull"):
            return [name for name in self.tokens if name.startswith("device_")]
        return ["admin", "supervisor", "office", "integration", "device_packer"]

    async def send(self, case: Any, caller: str) -> httpx.Response:
        """Send one generated case with a caller's token (the generated Authorization header is replaced)."""
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {self.tokens[caller]}"
        request: dict[str, Any] = {"headers": headers, "params": kwargs.get("params")}
        if kwargs.get("cookies"):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        elif "files" in kwargs:
            request["files"] = kwargs["files"]
            if kwargs.get("data"):
                request["data"] = kwargs["data"]
        elif isinstance(kwargs.get("data"), dict):
            request["data"] = kwargs["data"]
        elif kwargs.get("data") is not None:
            data = kwargs["data"]
            request["content"] = data.encode() if isinstance(data, str) else data
        response = await self.client.request(kwargs["method"], kwargs["url"], **request)
        self.cases += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


def operations(app: Any) -> Iterator[Any]:
    """Every operation of the app's OpenAPI document (as schemathesis reads it), but the endless stream."""
    schema = schemathesis.openapi.from_dict(app.openapi_schema.to_schema())
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") not in SKIPPED:
            yield operation


def fuzz_operation(runner: asyncio.Runner, target: Target, operation: Any, examples: int) -> list[str]:
    """Run `examples` generated cases per mode against one operation; return the server errors seen."""
    errors: list[str] = []
    operation_id = operation.definition.raw.get("operationId", operation.label)
    for mode in MODES:

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(target.callers(operation_id)))
        def one(case: Any, caller: str) -> None:
            response = runner.run(target.send(case, caller))
            if response.status_code >= 500:
                errors.append(f"{operation_id} {mode.value} as {caller}: {response.status_code} {case.method} {case.formatted_path} "
                              f"body={getattr(case, 'body', None)!r:.300} query={case.query!r:.200}")  # fmt: skip

        one()
    return errors
