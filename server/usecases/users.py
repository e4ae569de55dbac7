"""People who sign in to the supervisor pages: accounts, password checks with lockout, sessions.

Passwords are hashed with Argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane: about
0.1 s here; the library's 64 MiB × 4-lane default took close to a second on these 2-core
machines). A session is a random cookie value stored only as its SHA-256 digest, with its own
CSRF token. After MAX_FAILURES
wrong passwords in a row an account is locked for LOCKOUT; a locked account is refused without
checking the password at all, so a flood of guesses costs the server nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update

from server.clock import now
from server.db.tables import user_warehouses, users, warehouses, web_sessions
from server.domain.refusals import NotFound, Refused
from sync.database import Database

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)  # one shift; a new login the next day
SEEN_EVERY = timedelta(minutes=5)  # refresh last_seen_at at most this often (a page view stays a read)
MIN_PASSWORD = 8
LOCALES = ("ru", "en")


class UserRole(StrEnum):
    ADMIN = "admin"
    OFFICE = "office"
    SUPERVISOR = "supervisor"


_hasher: PasswordHasher | None = None


def hasher() -> PasswordHasher:
    """The one Argon2id hasher (built on first use, not at import)."""
    global _hasher  # noqa: PLW0603
    if _hasher is None:
        # OWASP Password Storage Cheat Sheet: Argon2id, m=19456 KiB, t=2, p=1. A stored hash made with
        # other parameters still verifies, and is re-hashed with these at the next sign-in.
        _hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    return _hasher


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to verify against when the username is unknown, so both cases take as long."""
    global _dummy_hash  # noqa: PLW0603
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionUser:
    """Who is signed in: the account, its role, its warehouses (None: every warehouse) and the session's CSRF token."""

    user_id: int
    username: str
    display_name: str
    role: UserRole
    locale: str
    warehouse_ids: frozenset[int] | None
    csrf_token: str
    session_hash: str

    @property
    def actor_id(self) -> str:
        return f"user:{self.username}"


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A new session (cookie value shown once) or a refusal code: `credentials_invalid` | `account_locked`."""

    cookie: str | None = None
    refusal: str | None = None
    locked_until: datetime | None = None


def validate_user(
    username: str, password: str, role: str, warehouse_ids: Sequence[int], locale: str, min_password: int = MIN_PASSWORD
) -> None:
    """The rules for a new account."""
    if not username or len(username) > 100 or not all(ch.isalnum() or ch in "._-@" for ch in username):
        raise Refused("username_invalid", "a username is 1-100 letters, digits or . _ - @")
    if len(password) < min_password:
        raise Refused("password_too_short", f"a password has at least {min_password} characters")
    if role not in UserRole.__members__.values():
        raise Refused("role_invalid", f"role must be one of: {', '.join(r.value for r in UserRole)}")
    # A supervisor bound to no warehouse would see nothing; refuse it rather than guess "all".
    if role == UserRole.SUPERVISOR and not warehouse_ids:
        raise Refused("warehouse_required", "a supervisor is bound to at least one warehouse")
    if locale not in LOCALES:
        raise Refused("locale_invalid", f"locale must be one of: {', '.join(LOCALES)}")


async def create_user(
    db: Database,
    username: str,
    password: str,
    role: str,
    warehouse_ids: Sequence[int] = (),
    *,
    display_name: str = "",
    locale: str = "ru",
    min_password: int = MIN_PASSWORD,
) -> int:
    """Create an account bound to the given warehouses; return its id. (`min_password` is lowered only by the demo.)"""
    validate_user(username, password, role, warehouse_ids, locale, min_password)
    hashed = await anyio.to_thread.run_sync(hash_password, password)
    async with db.write() as conn:
        if (await conn.execute(select(users.c.id).where(users.c.username == username))).first() is not None:
            raise Refused("username_taken", f"the username {username!r} is taken")
        known = set((await conn.execute(select(warehouses.c.id).where(warehouses.c.id.in_(list(warehouse_ids))))).scalars())
        for warehouse_id in warehouse_ids:
            if warehouse_id not in known:
                raise NotFound("warehouse", warehouse_id)
        user_id = (
            await conn.execute(
                insert(users)
                .values(username=username, display_name=display_name, password_hash=hashed, role=role, locale=locale,
                        created_at=now(), failed_logins=0)  # fmt: skip
                .returning(users.c.id)
            )
        ).scalar_one()
        if warehouse_ids:
            await conn.execute(insert(user_warehouses), [{"user_id": user_id, "warehouse_id": w} for w in sorted(set(warehouse_ids))])
        return user_id


async def login(db: Database, username: str, password: str) -> LoginResult:
    """Check a password and open a session; count failures and lock the account after too many."""
    at = now()
    async with db.read() as conn:
        row = (await conn.execute(select(users).where(users.c.username == username))).first()
    if row is None or row.disabled_at is not None:
        await anyio.to_thread.run_sync(verify_password, _dummy(), password)
        return LoginResult(refusal="credentials_invalid")
    if row.locked_until is not None and row.locked_until > at:
        return LoginResult(refusal="account_locked", locked_until=row.locked_until)
    ok = await anyio.to_thread.run_sync(verify_password, row.password_hash, password)
    async with db.write() as conn:
        if not ok:
            # Counted in the database, so several server processes share one count.
            failures = (
                await conn.execute(
                    update(users).where(users.c.id == row.id).values(failed_logins=users.c.failed_logins + 1)
                    .returning(users.c.failed_logins)
                )
            ).scalar_one()  # fmt: skip
            if failures >= MAX_FAILURES:
                until = at + LOCKOUT
                await conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=until))
                return LoginResult(refusal="account_locked", locked_until=until)
            return LoginResult(refusal="credentials_invalid")
        values: dict = {"failed_logins": 0, "locked_until": None}
        if hasher().check_needs_rehash(row.password_hash):
            values["password_hash"] = await anyio.to_thread.run_sync(hash_password, password)
        await conn.execute(update(users).where(users.c.id == row.id).values(**values))
        await conn.execute(delete(web_sessions).where(web_sessions.c.user_id == row.id, web_sessions.c.expires_at <= at))
        cookie = secrets.token_urlsafe(32)
        await conn.execute(
            insert(web_sessions).values(
                id_hash=digest(cookie), user_id=row.id, csrf_token=secrets.token_urlsafe(32), created_at=at,
                expires_at=at + SESSION_TTL, last_seen_at=at,
            )
        )  # fmt: skip
    return LoginResult(cookie=cookie)


async def session_user(db: Database, cookie: str) -> SessionUser | None:
    """The signed-in user behind a session cookie, or None (unknown, expired, or the account disabled)."""
    if not cookie:
        return None
    at = now()
    key = digest(cookie)
    s, u = web_sessions.c, users.c
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(s.user_id, s.csrf_token, s.expires_at, s.last_seen_at, u.username, u.display_name, u.role, u.locale,
                       u.disabled_at)  # fmt: skip
                .join(users, u.id == s.user_id)
                .where(s.id_hash == key)
            )
        ).first()
        if row is None or row.expires_at <= at or row.disabled_at is not None:
            return None
        bound = (await conn.execute(select(user_warehouses.c.warehouse_id).where(user_warehouses.c.user_id == row.user_id))).scalars().all()
    if at - row.last_seen_at > SEEN_EVERY:
        async with db.write() as conn:
            await conn.execute(update(web_sessions).where(s.id_hash == key).values(last_seen_at=at))
    role = UserRole(row.role)
    # Admin and office see every warehouse; a supervisor only those bound to the account (none: nothing).
    warehouse_ids = None if role != UserRole.SUPERVISOR else frozenset(bound)
    return SessionUser(row.user_id, row.username, row.display_name, role, row.locale, warehouse_ids, row.csrf_token, key)


async def logout(db: Database, cookie: str) -> None:
    """End a session; the cookie is worthless afterwards."""
    async with db.write() as conn:
        await conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == digest(cookie)))


async def set_locale(db: Database, user_id: int, locale: str) -> None:
    """Remember a user's language."""
    if locale not in LOCALES:
        raise Refused("locale_invalid", f"locale must be one of: {', '.join(LOCALES)}")
    async with db.write() as conn:
        await conn.execute(update(users).where(users.c.id == user_id).values(locale=locale))
