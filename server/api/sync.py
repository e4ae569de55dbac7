"""Sync endpoints for enrolled devices: push, pull, live hints, blobs.

Push and pull bodies are decoded once, strictly, with typed msgspec decoders, as JSON or as
MessagePack (`Content-Type: application/msgpack`); the answer follows `Accept`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.exceptions import PermissionDeniedException
from litestar.response import ServerSentEvent

from sqlalchemy import select

from server.api.auth import STAFF, devices_only
from server.db.dialect import upsert
from server.clock import now
from server.db.tables import SYNC, couriers
from server.domain.refusals import NotFound, Refused
from server.usecases.devices import DevicePrincipal
from sync import pull as pulling
from sync import push as pushing
from sync.database import Database
from sync.errors import InvalidBody
from sync.protocol import PullRequest, PullResponse, PushRequest, PushResponse

MSGPACK = "application/msgpack"
_push_json = msgspec.json.Decoder(PushRequest, strict=True)
_push_msgpack = msgspec.msgpack.Decoder(PushRequest, strict=True)
_pull_json = msgspec.json.Decoder(PullRequest, strict=True)
_pull_msgpack = msgspec.msgpack.Decoder(PullRequest, strict=True)
_msgpack = msgspec.msgpack.Encoder()
_json = msgspec.json.Encoder()

BLOB_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "application/json": None}


def _is_msgpack(value: str | None) -> bool:
    return bool(value) and ("msgpack" in value)


async def _decode(request: Request, json_decoder: msgspec.json.Decoder, msgpack_decoder: msgspec.msgpack.Decoder):  # noqa: ANN202
    body = await request.body()
    try:
        if _is_msgpack(request.headers.get("content-type")):
            return msgpack_decoder.decode(body)
        return json_decoder.decode(body)
    except msgspec.ValidationError as error:
        raise InvalidBody(str(error)) from error
    except msgspec.DecodeError as error:
        raise InvalidBody(f"malformed body: {error}") from error


def _respond(request: Request, payload: PushResponse | PullResponse) -> Response:
    if _is_msgpack(request.headers.get("accept")):
        return Response(_msgpack.encode(payload), media_type=MSGPACK, status_code=200)
    return Response(_json.encode(payload), media_type="application/json", status_code=200)


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]
    guards = [devices_only]

    @post("/push", operation_id="syncPush", status_code=200)
    async def push(self, db: Database, request: Request) -> Response:
        """Push ops: each answered applied, duplicate, rejected (with a code) or retry."""
        body = await _decode(request, _push_json, _push_msgpack)
        response = await pushing.push(
            db, SYNC, request.app.state.sync, request.user.device_id, body, now(),
            msgpack=_is_msgpack(request.headers.get("content-type")),
        )  # fmt: skip
        return _respond(request, response)

    @post("/pull", operation_id="syncPull", status_code=200)
    async def pull(self, db: Database, request: Request) -> Response:
        """Pull the changes after a cursor (a snapshot first, or after a reset)."""
        body = await _decode(request, _pull_json, _pull_msgpack)
        response = await pulling.pull(
            db, SYNC, request.app.state.sync, request.user.device_id, body, now(),
            raw_data=not _is_msgpack(request.headers.get("accept")),
        )  # fmt: skip
        return _respond(request, response)

    @get("/events", operation_id="syncEvents")
    async def events(self, db: Database, request: Request) -> ServerSentEvent:
        """A server-sent-events stream that says "pull" whenever the device's scope changes."""
        device: DevicePrincipal = request.user
        async with db.read() as conn:
            scopes = request.app.state.sync.scopes(await pulling.load_device(conn, SYNC, device.device_id))
        hub = request.app.state.hints

        async def stream() -> AsyncIterator[dict]:
            queue = hub.subscribe(scopes)
            try:
                yield {"event": "hello", "data": "pull"}  # pull once on connect
                while True:
                    try:
                        await asyncio.wait_for(queue.get(), timeout=25)
                        yield {"event": "pull", "data": "pull"}
                    except TimeoutError:
                        yield {"comment": "keep-alive"}
            finally:
                hub.unsubscribe(queue)

        return ServerSentEvent(stream())


class BlobController(Controller):
    path = "/api/blobs"
    tags = ["sync"]

    @put("/{sha256:str}", operation_id="putBlob", status_code=201, request_max_body_size=8 * 1024 * 1024)
    async def put_blob(self, db: Database, request: Request, sha256: str) -> Response:
        """Store a blob under its SHA-256 (idempotent); PNG, JPEG or JSON strokes only."""
        limit = request.app.state.settings.max_blob_bytes
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type not in BLOB_TYPES:
            raise Refused("blob_type_unsupported", "blobs are image/png, image/jpeg or application/json")
        body = await request.body()
        if len(body) > limit:
            return Response({"code": "blob_too_large", "detail": f"blobs are at most {limit} bytes", "status": 413},
                            status_code=413, media_type="application/problem+json")  # fmt: skip
        if hashlib.sha256(body).hexdigest() != sha256.lower():
            raise Refused("blob_hash_mismatch", "the content does not match its SHA-256")
        magic = BLOB_TYPES[content_type]
        if magic is not None and not body.startswith(magic):
            raise Refused("blob_type_mismatch", f"the content is not {content_type}")
        if magic is None:
            try:
                msgspec.json.decode(body)
            except msgspec.DecodeError as error:
                raise Refused("blob_type_mismatch", "the content is not JSON") from error
        device_id = getattr(request.user, "device_id", None)
        created = await store_blob(db, sha256.lower(), content_type, body, device_id)
        return Response({"sha256": sha256.lower(), "size": len(body)}, status_code=201 if created else 200)

    @get("/{sha256:str}", operation_id="getBlob")
    async def get_blob(self, db: Database, request: Request, sha256: str) -> Response:
        """A blob, for office staff and the device that uploaded it."""
        b = SYNC.blobs.c
        async with db.read() as conn:
            row = (
                await conn.execute(select(b.data, b.content_type, b.device_id).where(b.sha256 == sha256.lower()))
            ).first()
        if row is None:
            raise NotFound("blob", sha256)
        principal = request.user
        if isinstance(principal, DevicePrincipal):
            if principal.device_id != row.device_id:
                raise NotFound("blob", sha256)
        elif principal.role not in STAFF:
            raise PermissionDeniedException("blobs are for office staff and the uploading device")
        elif principal.warehouse_id is not None and await _device_warehouse(db, row.device_id) != principal.warehouse_id:
            raise NotFound("blob", sha256)  # a supervisor sees the signatures and photos of its own warehouse only
        return Response(row.data, media_type=row.content_type, headers={"Cache-Control": "private, max-age=31536000, immutable"})


async def _device_warehouse(db: Database, device_id: str | None) -> int | None:
    """The warehouse of the device that uploaded a blob: its own, or its courier's."""
    if device_id is None:
        return None
    async with db.read() as conn:
        scope = (await conn.execute(select(SYNC.devices.c.scope).where(SYNC.devices.c.id == device_id))).scalar() or {}
        if "courier_id" in scope:
            return (await conn.execute(select(couriers.c.warehouse_id).where(couriers.c.id == scope["courier_id"]))).scalar()
    return scope.get("warehouse_id")


async def store_blob(db: Database, sha256: str, content_type: str, body: bytes, device_id: str | None) -> bool:
    """Insert a blob unless present; return whether it was new."""
    async with db.write() as conn:
        result = await conn.execute(
            upsert(conn, SYNC.blobs)
            .values(sha256=sha256, content_type=content_type, size=len(body), data=body, device_id=device_id, created_at=now())
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        return result.rowcount == 1
