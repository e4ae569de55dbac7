"""Live hints: "pull now" for devices whose scopes just changed.

Within one process a hub fans a committed change's scopes out to the devices listening on
server-sent events. With several server processes on PostgreSQL, the change log's transactional
NOTIFY reaches every process's LISTEN connection, and each process feeds its own hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from sync.changelog import NOTIFY_CHANNEL

log = logging.getLogger("tally.sync.hints")


class HintHub:
    """Subscribers (one queue per open stream) keyed by scope."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = {}

    def subscribe(self, scopes: Iterable[str]) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)  # one pending hint is enough
        for scope in scopes:
            self._subscribers.setdefault(scope, set()).add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        for queues in self._subscribers.values():
            queues.discard(queue)

    def publish(self, scopes: Iterable[str]) -> int:
        """Wake every subscriber of these scopes; return how many were woken."""
        woken = set()
        for scope in scopes:
            for queue in self._subscribers.get(scope, ()):
                if queue not in woken:
                    woken.add(queue)
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.put_nowait("pull")
        return len(woken)

    @property
    def listeners(self) -> int:
        return len({q for qs in self._subscribers.values() for q in qs})


class PostgresListener:
    """LISTEN on the change channel with a dedicated asyncpg connection and feed a hub."""

    def __init__(self, dsn: str, hub: HintHub) -> None:
        self.dsn = dsn
        self.hub = hub
        self._conn = None

    async def start(self) -> None:
        import asyncpg

        self._conn = await asyncpg.connect(self.dsn)
        await self._conn.add_listener(NOTIFY_CHANNEL, self._on_notify)

    def _on_notify(self, _conn, _pid, _channel, payload: str) -> None:  # noqa: ANN001
        self.hub.publish(s for s in payload.split(",") if s)

    async def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
