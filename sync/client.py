"""The reference sync client: a durable outbox and replica in a local SQLite file, push/pull with
retries. The PWA's client follows the same rules; tests, the device simulator and the benchmarks
drive the server through this one.

Rules it keeps:
- an op is written to the outbox (with the next seq) before anything else happens to it;
- push sends pending ops strictly in seq order, one request at a time, and stops at the first
  failure; an op leaves the outbox only when the server's `last_seq` covers it;
- pull applies a page's changes (the last one of each entity wins); `reset` drops the replica
  first; the cursor is stored in the same local transaction as the changes it covers;
- pending ops are re-applied on top of the replica after each pull (rebase), through an
  optional local `apply` function the application provides;
- an acknowledged op moves to a journal (`sent`) kept for `keep_sent_days`: when a restored server
  has lost ops it had acknowledged (it answers `seq_gap` expecting a seq the journal holds), they
  go back into the outbox with their seqs and op ids and are sent again.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

from sync.protocol import PROTOCOL_VERSION, PullResponse, PushResponse

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY, op_id TEXT NOT NULL, type TEXT NOT NULL,
    captured_at TEXT NOT NULL, payload TEXT NOT NULL, blobs TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS replica (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS sent (
    seq INTEGER PRIMARY KEY, op_id TEXT NOT NULL, type TEXT NOT NULL,
    captured_at TEXT NOT NULL, payload TEXT NOT NULL, blobs TEXT NOT NULL, acknowledged_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, code TEXT, message TEXT, payload TEXT);
CREATE TABLE IF NOT EXISTS local_blobs (sha256 TEXT PRIMARY KEY, content_type TEXT NOT NULL, data BLOB NOT NULL);
"""


class TransientError(Exception):
    """The server or the network failed in a way worth retrying (503, timeouts, lost connections)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProtocolError(Exception):
    """The server refused the request itself (a seq gap, a revoked device, a malformed body)."""

    def __init__(self, status: int, code: str, detail: str, body: dict | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.body = status, code, detail, body or {}


@dataclass
class HttpTransport:
    """Talks to a Tally server over HTTP (JSON, or MessagePack with `msgpack=True`)."""

    client: httpx.AsyncClient
    token: str
    msgpack: bool = False

    def _headers(self) -> dict[str, str]:
        kind = "application/msgpack" if self.msgpack else "application/json"
        return {"Authorization": f"Bearer {self.token}", "Content-Type": kind, "Accept": kind}

    async def _post(self, path: str, body: dict, response_type: type) -> Any:
        content = msgspec.msgpack.encode(body) if self.msgpack else msgspec.json.encode(body)
        try:
            response = await self.client.post(path, content=content, headers=self._headers())
        except (httpx.TransportError, OSError) as error:
            raise TransientError(f"network: {error}") from error
        if response.status_code == 200:
            if self.msgpack:
                return msgspec.msgpack.decode(response.content, type=response_type)
            return msgspec.json.decode(response.content, type=response_type)
        if response.status_code in (502, 503, 504) or response.status_code >= 500:
            retry = response.headers.get("retry-after")
            raise TransientError(f"server {response.status_code}", float(retry) if retry else None)
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        raise ProtocolError(response.status_code, problem.get("code", "http_error"), problem.get("detail", response.text), problem)

    async def push(self, body: dict) -> PushResponse:
        return await self._post("/api/sync/push", body, PushResponse)

    async def pull(self, body: dict) -> PullResponse:
        return await self._post("/api/sync/pull", body, PullResponse)

    async def put_blob(self, sha256: str, content_type: str, data: bytes) -> None:
        try:
            response = await self.client.put(
                f"/api/blobs/{sha256}", content=data, headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
            )
        except (httpx.TransportError, OSError) as error:
            raise TransientError(f"network: {error}") from error
        if response.status_code >= 500:
            raise TransientError(f"server {response.status_code}")
        if response.status_code not in (200, 201):
            problem = response.json() if response.content else {}
            raise ProtocolError(response.status_code, problem.get("code", "http_error"), problem.get("detail", ""), problem)


class TransportWrapper:
    """A transport around another one (for simulators and tests that watch or disturb the traffic):
    push and pull go through `_call`, blobs straight through."""

    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.msgpack = inner.msgpack  # SyncClient reads this to pick the payload encoding

    async def push(self, body: dict) -> PushResponse:
        return await self._call("push", self.inner.push, body)

    async def pull(self, body: dict) -> PullResponse:
        return await self._call("pull", self.inner.pull, body)

    async def put_blob(self, sha256: str, content_type: str, data: bytes) -> None:
        await self.inner.put_blob(sha256, content_type, data)

    async def _call(self, kind: str, send: Any, body: dict) -> Any:
        return await send(body)


_json = msgspec.json.Encoder()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SyncClient:
    """One device's local state: outbox, replica, cursor."""

    def __init__(
        self,
        path: str | Path,
        device_id: str,
        transport: Any,
        *,
        apply_local: Callable[[dict[tuple[str, str], dict], str, dict], None] | None = None,
        app_version: str = "py-client",
        keep_sent_days: float = 14.0,
        synchronous: str = "FULL",
    ) -> None:
        """`synchronous`: FULL makes every recorded op survive a power cut. NORMAL (WAL) survives a
        crash of the process but not of the machine; simulators running hundreds of devices on one
        disk use it, so that their fsyncs do not stand in for the server's latency."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.executescript(SCHEMA)
        self.device_id = device_id
        self.transport = transport
        self.apply_local = apply_local
        self.app_version = app_version
        self.keep_sent_days = keep_sent_days

    # --- local state -------------------------------------------------------------------------
    def _meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    @property
    def cursor(self) -> str | None:
        return self._meta("cursor")

    @property
    def last_seq(self) -> int:
        return int(self._meta("last_seq", "0"))

    def record(self, op_type: str, payload: dict, *, captured_at: str | None = None, blobs: list[str] = ()) -> int:
        """Append an op to the durable outbox and return its seq."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            top = self.db.execute("SELECT max(seq) FROM outbox").fetchone()[0]
            seq = max(top or 0, int(self._meta("next_seq", "1")) - 1) + 1
            self.db.execute(
                "INSERT INTO outbox (seq, op_id, type, captured_at, payload, blobs) VALUES (?, ?, ?, ?, ?, ?)",
                (seq, str(uuid.uuid4()), op_type, captured_at or _now(), json.dumps(payload), json.dumps(list(blobs))),
            )
            self._set_meta("next_seq", str(seq + 1))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return seq

    def store_blob(self, sha256: str, content_type: str, data: bytes) -> None:
        """Keep a blob locally until the server has it (signatures, photos)."""
        self.db.execute("INSERT OR IGNORE INTO local_blobs VALUES (?, ?, ?)", (sha256, content_type, data))

    def pending(self) -> list[tuple]:
        return self.db.execute("SELECT seq, op_id, type, captured_at, payload, blobs FROM outbox ORDER BY seq").fetchall()

    def pending_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def rejected(self) -> list[tuple]:
        return self.db.execute("SELECT seq, type, code, message FROM rejected ORDER BY seq").fetchall()

    def replica(self) -> dict[tuple[str, str], dict]:
        return {(k, i): json.loads(d) for k, i, d in self.db.execute("SELECT kind, id, data FROM replica")}

    def view(self) -> dict[tuple[str, str], dict]:
        """The replica with pending ops re-applied on top (the rebase the UI shows)."""
        state = self.replica()
        if self.apply_local is not None:
            done = self.last_seq  # the replica already holds the effects of ops up to here
            for seq, _op_id, op_type, _at, payload, _blobs in self.pending():
                if seq > done:
                    self.apply_local(state, op_type, json.loads(payload))
        return state

    def _acknowledge(self, last_seq: int, *, remove: bool) -> None:
        """Note the server's write checkpoint; a push's answer also removes the ops it covers.

        A pull only notes it: an op the server took while the push's answer was lost may have been
        rejected, and the device must still learn why — pushing it again answers `duplicate` with
        the original code."""
        if remove:
            self.db.execute(
                "INSERT OR REPLACE INTO sent SELECT seq, op_id, type, captured_at, payload, blobs, ? FROM outbox WHERE seq <= ?",
                (_now(), last_seq),
            )
            self.db.execute("DELETE FROM outbox WHERE seq <= ?", (last_seq,))
            cutoff = (datetime.now(UTC) - timedelta(days=self.keep_sent_days)).isoformat()
            self.db.execute("DELETE FROM sent WHERE acknowledged_at < ?", (cutoff,))
        self._set_meta("last_seq", str(max(last_seq, self.last_seq)))

    def _resend_from(self, expected: int) -> bool:
        """Put acknowledged ops from seq `expected` on back into the outbox (a restored server lost
        them); False if the journal does not reach back that far (then nothing changes)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self.db.execute("SELECT 1 FROM sent WHERE seq = ?", (expected,)).fetchone() is None:
                self.db.execute("ROLLBACK")
                return False
            self.db.execute("INSERT OR IGNORE INTO outbox SELECT seq, op_id, type, captured_at, payload, blobs FROM sent WHERE seq >= ?", (expected,))
            # The replica no longer holds their effects for sure: let the rebase apply them again.
            self._set_meta("last_seq", str(expected - 1))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return True

    # --- network -----------------------------------------------------------------------------
    async def push_once(self, batch: int = 500) -> PushResponse | None:
        """Send up to `batch` pending ops (blobs first); None when nothing was pending."""
        ops = self.pending()[:batch]
        if not ops:
            return None
        for _seq, _op_id, _type, _at, _payload, blobs in ops:
            for sha in json.loads(blobs):
                row = self.db.execute("SELECT content_type, data FROM local_blobs WHERE sha256 = ?", (sha,)).fetchone()
                if row is not None:
                    await self.transport.put_blob(sha, row[0], row[1])
        body = {
            "protocol": PROTOCOL_VERSION,
            "device_id": self.device_id,
            "pending": self.pending_count(),
            "app_version": self.app_version,
            "sent_at": _now(),
            "ops": [
                {"op_id": op_id, "seq": seq, "type": t, "captured_at": at, "payload": msgspec.Raw(p.encode())}
                for seq, op_id, t, at, p, _b in ops
            ],
        }
        if getattr(self.transport, "msgpack", False):
            # Raw JSON cannot sit inside MessagePack: send the decoded payload.
            for op in body["ops"]:
                op["payload"] = json.loads(bytes(op["payload"]))
        try:
            response = await self.transport.push(body)
        except ProtocolError as error:
            expected = error.body.get("expected_seq") if error.code == "seq_gap" else None
            if isinstance(expected, int) and self._resend_from(expected):
                raise TransientError(f"the server lost ops it had acknowledged (restored?): resending from seq {expected}") from error
            raise
        self.db.execute("BEGIN IMMEDIATE")
        for result in response.results:
            # A duplicate that carries a code was rejected the first time (its answer was lost).
            if result.status == "rejected" or (result.status == "duplicate" and result.code):
                payload = next((p for s, _i, _t, _a, p, _b in ops if s == result.seq), None)
                op_type = next((t for s, _i, t, _a, _p, _b in ops if s == result.seq), "")
                self.db.execute("INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?)", (result.seq, op_type, result.code, result.message, payload))
        # Only the ops this push carried are done with: one beyond them that the server already
        # holds (an earlier answer was lost) must still be sent, to learn its result.
        self._acknowledge(min(response.last_seq, ops[-1][0]), remove=True)
        self._set_meta("last_seq", str(max(response.last_seq, self.last_seq)))
        self.db.execute("COMMIT")
        waiting = [r for r in response.results if r.status == "retry"]
        if waiting:
            raise TransientError(f"op {waiting[0].seq} waits: {waiting[0].code} {waiting[0].blobs or ''}")
        return response

    async def pull_once(self, limit: int = 1000) -> PullResponse:
        """Fetch and apply one page of changes."""
        body = {"protocol": PROTOCOL_VERSION, "cursor": self.cursor, "limit": limit, "pending": self.pending_count(), "app_version": self.app_version}
        response = await self.transport.pull(body)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if response.reset:
                self.db.execute("DELETE FROM replica")
            # Each change is an entity's whole state, so only the last one of each entity counts.
            last = {(c.kind, c.id): c for c in response.changes}
            self.db.executemany(
                "DELETE FROM replica WHERE kind = ? AND id = ?", [(c.kind, c.id) for c in last.values() if c.op != "put"]
            )
            self.db.executemany(
                "INSERT INTO replica (kind, id, data) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                [(c.kind, c.id, _json.encode(c.data).decode()) for c in last.values() if c.op == "put"],
            )
            self._set_meta("cursor", response.cursor)
            self._acknowledge(response.last_seq, remove=False)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        # A server's checkpoint only goes back when it was restored from a backup: ops it had
        # acknowledged since are gone there, and an idle device would never push them again.
        newest_sent = self.db.execute("SELECT max(seq) FROM sent").fetchone()[0]
        if newest_sent is not None and response.last_seq < newest_sent:
            self._resend_from(response.last_seq + 1)
        return response

    async def sync(self, *, batch: int = 500, limit: int = 1000, attempts: int = 8, base_delay: float = 0.05) -> None:
        """Push everything pending, then pull until caught up, retrying transient failures.

        A push that keeps failing does not stop the pull: the device still learns what changed."""
        try:
            await self._with_retries(self._push_all, batch, attempts=attempts, base_delay=base_delay)
        finally:
            await self._with_retries(self._pull_all, limit, attempts=attempts, base_delay=base_delay)

    async def _push_all(self, batch: int) -> None:
        while await self.push_once(batch) is not None:
            pass

    async def _pull_all(self, limit: int) -> None:
        while (await self.pull_once(limit)).more:
            pass

    @staticmethod
    async def _with_retries(step, arg, *, attempts: int, base_delay: float) -> None:  # noqa: ANN001
        """Retry transient failures with exponential backoff and full jitter."""
        for attempt in range(attempts):
            try:
                return await step(arg)
            except TransientError as error:
                if attempt == attempts - 1:
                    raise
                delay = error.retry_after if error.retry_after else random.uniform(0, base_delay * 2**attempt)
                await asyncio.sleep(min(delay, 5.0))

    def close(self) -> None:
        self.db.close()
