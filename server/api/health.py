"""Liveness and database reachability, for load balancers and the setup script."""

from __future__ import annotations

from litestar import get
from sqlalchemy import text

from sync.database import Database


@get("/health", operation_id="health", exclude_from_auth=True, tags=["health"])
async def health(db: Database) -> dict[str, str]:
    async with db.read() as conn:
        await conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": db.dialect}
