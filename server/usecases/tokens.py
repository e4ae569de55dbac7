"""API tokens: random secrets shown once, stored as a SHA-256 digest, bound to a role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import insert, select, update

from server.clock import now
from server.db.tables import api_tokens
from server.domain.events import Actor
from server.domain.refusals import Refused
from sync.database import Database

TOKEN_PREFIX = "tly_"


class Role(StrEnum):
    ADMIN = "admin"
    OFFICE = "office"
    INTEGRATION = "integration"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a token's id, role and (for supervisors) the warehouse it is bound to."""

    token_id: int
    role: Role
    name: str
    warehouse_id: int | None = None

    @property
    def actor(self) -> Actor:
        return Actor("user", f"token:{self.token_id}:{self.name}" if self.name else f"token:{self.token_id}")


def hash_token(token: str) -> str:
    """The stored form of a token. Tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(db: Database, role: str, name: str = "", warehouse_id: int | None = None) -> tuple[str, int]:
    """Create a token for a role; return the secret (shown once) and its id."""
    if role not in Role.__members__.values():
        raise Refused("role_invalid", f"role must be one of: {', '.join(r.value for r in Role)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.write() as conn:
        result = await conn.execute(
            insert(api_tokens)
            .values(token_hash=hash_token(token), role=role, name=name, warehouse_id=warehouse_id, created_at=now())
            .returning(api_tokens.c.id)
        )
        return token, result.scalar_one()


async def authenticate(db: Database, token: str) -> Principal | None:
    """The principal behind a live token, or None for an unknown or revoked one."""
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                select(api_tokens.c.id, api_tokens.c.role, api_tokens.c.name, api_tokens.c.warehouse_id).where(
                    api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked_at.is_(None)
                )
            )
        ).first()
    if row is None:
        return None
    return Principal(row.id, Role(row.role), row.name, row.warehouse_id)


async def revoke_token(db: Database, token_id: int) -> None:
    """Revoke a token; the next request made with it is refused."""
    async with db.write() as conn:
        await conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now()))
