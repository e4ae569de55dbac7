"""Backup and restore of the whole database: SQLite's online backup API, pg_dump/pg_restore for PostgreSQL.

A restore brings the database back to the moment of the backup, so it also starts a new sync
epoch: every device's next pull answers `reset` and reloads a snapshot, and devices send again the
ops the restored server lacks (the reference client keeps acknowledged ops in a journal
for that; see docs/reliability.md, "Backup and restore").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from server.db.migrate import upgrade
from server.db.tables import SYNC
from sync import changelog
from sync.database import Database, normalize_url


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, None for another database."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    """pg_dump and pg_restore speak libpq: postgresql://… without a driver name."""
    return make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target`, while the server keeps serving."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    path = _sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise FileNotFoundError(path)
        source, copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True), sqlite3.connect(partial)
        try:
            # The online backup API copies a consistent snapshot page by page; writers are not blocked
            # for long (it restarts over pages a writer changed meanwhile).
            source.backup(copy, pages=1024)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            source.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", _libpq_url(url)])
    os.replace(partial, target)  # a backup file is complete or absent, never half-written


def restore(url: str, source: Path) -> str:
    """Replace the database with the backup in `source` and start a new sync epoch; returns it.

    Stop the server first: a restore replaces everything under it."""
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(source)
    path = _sqlite_path(url)
    if path is not None:
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            try:
                check = backup_db.execute("PRAGMA integrity_check").fetchone()[0]
            except sqlite3.DatabaseError as error:
                check = str(error)
            if check != "ok":  # checked before the live database is touched
                raise ValueError(f"the backup is damaged: {check}")
            path.parent.mkdir(parents=True, exist_ok=True)
            live = sqlite3.connect(path)
            try:
                backup_db.backup(live)  # page by page into the live file, through its own journal
            finally:
                live.close()
        finally:
            backup_db.close()
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(source)])  # fmt: skip
    upgrade(url)  # a backup taken before a schema change is brought up to this release
    return _new_epoch(url)


def _new_epoch(url: str) -> str:
    async def run() -> str:
        db = Database(url)
        try:
            async with db.write() as conn:
                return await changelog.new_epoch_now(conn, SYNC)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise RuntimeError(f"{command[0]} is not installed (the PostgreSQL client tools)")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
