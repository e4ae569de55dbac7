"""`upgrade head` on an empty database builds exactly the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.db.migrate import downgrade, upgrade
from server.db.tables import metadata
from sync.database import Database


async def _diff(db: Database) -> list:
    async with db.engine.connect() as conn:

        def compare(sync_conn):  # noqa: ANN001, ANN202
            context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)

        return await conn.run_sync(compare)


async def test_upgrade_head_on_an_empty_database_matches_the_models(db: Database) -> None:
    # The fixture's database was built by `upgrade head` (never create_all).
    assert await _diff(db) == []


async def test_every_declared_table_exists_after_upgrade(db: Database) -> None:
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {t.name for t in metadata.sorted_tables} <= names
    assert "alembic_version" in names


def test_downgrade_to_base_and_upgrade_again_round_trips(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)


def test_a_migrated_sqlite_file_is_in_wal_mode_before_any_server_connects(tmp_path) -> None:  # noqa: ANN001
    import sqlite3

    path = tmp_path / "fresh.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # a plain connection: none of the server's pragmas
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
