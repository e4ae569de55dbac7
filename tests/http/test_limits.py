"""Throttled enrollment: wrong codes from one address lock that address out for a while (429
`too_many_attempts` with Retry-After, even for a right code), other addresses go on, and the lock
lifts by itself. (Body, batch and blob limits: tests/http/test_bad_input.py, tests/sync/test_bad_input.py;
the pages' login lockout: tests/web/test_auth.py.)"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from server.clock import now
from server.db.tables import auth_throttle
from server.usecases.catalog import create_warehouse
from server.usecases.devices import create_enrollment
from server.usecases.throttle import ENROLLMENT
from sync.database import Database


def _from(client: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """The same app, called from another client address."""
    app = client._transport.app  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver")


async def _code(db: Database) -> str:
    warehouse = await create_warehouse(db, "W7", "Склад 7")
    return (await create_enrollment(db, "test", "picker", {"warehouse_id": warehouse})).code


async def _enroll(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/api/devices/enroll", json={"code": code, "name": "TC52"})


async def test_wrong_enrollment_codes_lock_the_address_out_even_for_a_right_code(client, db) -> None:  # noqa: ANN001
    code = await _code(db)
    guesser = _from(client, "203.0.113.7")
    for _ in range(ENROLLMENT.failures):
        assert (await _enroll(guesser, "WRONG-CODE1")).json()["code"] == "enrollment_invalid"
    locked = await _enroll(guesser, code)
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["retry-after"]) <= ENROLLMENT.lockout.total_seconds()
    # Another address is not affected, and the code was not used up by the refused attempt.
    assert (await _enroll(_from(client, "198.51.100.2"), code)).status_code == 201


async def test_fewer_failures_than_the_limit_lock_nothing(client, db) -> None:  # noqa: ANN001
    code = await _code(db)
    for _ in range(ENROLLMENT.failures - 1):
        await _enroll(client, "WRONG-CODE1")
    assert (await _enroll(client, code)).status_code == 201


async def test_the_lockout_lifts_by_itself_when_it_expires(client, db) -> None:  # noqa: ANN001
    code = await _code(db)
    for _ in range(ENROLLMENT.failures):
        await _enroll(client, "WRONG-CODE1")
    assert (await _enroll(client, code)).status_code == 429
    async with db.write() as conn:  # the lockout's time passes
        await conn.execute(update(auth_throttle).values(locked_until=now() - timedelta(seconds=1)))
    assert (await _enroll(client, code)).status_code == 201


async def test_failures_spread_over_more_than_the_window_never_lock(client, db) -> None:  # noqa: ANN001
    code = await _code(db)
    for _ in range(ENROLLMENT.failures - 1):
        await _enroll(client, "WRONG-CODE1")
    async with db.write() as conn:  # the window's time passes: counting starts again
        await conn.execute(update(auth_throttle).values(window_start=now() - ENROLLMENT.window - timedelta(seconds=1)))
    await _enroll(client, "WRONG-CODE1")
    assert (await _enroll(client, code)).status_code == 201
