"""Throttling the doors that take no token (device enrollment, the pages' sign-in): after too many failures from one client address in a
window, that address is locked out for a while and refused with `too_many_attempts` (429, with
Retry-After) without the attempt being checked at all; the lock lifts by itself when it expires.

Enrollment codes are 10 characters from a 31-letter alphabet (about 49 bits) and live 15 minutes, so
guessing is hopeless already; the throttle keeps a flood of guesses from costing the server a
write each, and makes a stolen-code hunt visible. Counts live in the database (table
`auth_throttle`), shared by every server process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from server.db.tables import auth_throttle
from server.domain.refusals import Refused
from sync.database import Database


@dataclass(frozen=True, slots=True)
class Limit:
    """`failures` allowed within `window`; then `lockout`."""

    failures: int
    window: timedelta
    lockout: timedelta


ENROLLMENT = Limit(failures=10, window=timedelta(minutes=10), lockout=timedelta(minutes=15))
# Sign-in to the pages: each account locks after 5 wrong passwords (server.usecases.users); this
# catches one address trying many accounts. Higher, so an office behind one address survives typos.
LOGIN = Limit(failures=20, window=timedelta(minutes=10), lockout=timedelta(minutes=15))


class TooManyAttempts(Refused):
    """Raised while a key is locked out; `retry_after` is in whole seconds."""

    def __init__(self, until: datetime, at: datetime) -> None:
        self.until = until
        retry_after = max(1, int((until - at).total_seconds() + 0.999))
        super().__init__("too_many_attempts", f"too many failed attempts; try again in {retry_after} s",
                         retry_after=retry_after)  # fmt: skip


async def check(db: Database, key: str, at: datetime) -> None:
    """Refuse a locked-out key before its attempt is looked at."""
    async with db.read() as conn:
        until = (await conn.execute(select(auth_throttle.c.locked_until).where(auth_throttle.c.key == key))).scalar()
    if until is not None and until > at:
        raise TooManyAttempts(until, at)


async def record_failure(db: Database, key: str, at: datetime, limit: Limit) -> None:
    """Count a failure; the one that reaches the limit locks the key for `limit.lockout`."""
    t = auth_throttle.c
    async with db.write() as conn:
        row = (await conn.execute(select(t.failures, t.window_start).where(t.key == key).with_for_update())).first()
        if row is None:
            await conn.execute(insert(auth_throttle).values(key=key, failures=1, window_start=at, locked_until=None))
            failures = 1
        elif at - row.window_start > limit.window:  # a new window: start counting again
            await conn.execute(update(auth_throttle).where(t.key == key).values(failures=1, window_start=at, locked_until=None))
            failures = 1
        else:
            failures = row.failures + 1
            await conn.execute(update(auth_throttle).where(t.key == key).values(failures=failures))
        if failures >= limit.failures:
            await conn.execute(update(auth_throttle).where(t.key == key).values(failures=0, window_start=at, locked_until=at + limit.lockout))

