"""`tally user create`: the password comes from a pipe or a prompt, never from the command line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

TALLY = [sys.executable, "-m", "server.cli"]


def run(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(TALLY + args, env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_a_supervisor_is_created_with_a_hashed_password_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "users.db"
    assert run(["db", "upgrade"], db).returncode == 0
    sqlite3.connect(db).execute("INSERT INTO warehouses (code, name, address, created_at) VALUES ('W1', 'W', '', '2026-01-01')").connection.commit()
    done = run(["user", "create", "--username", "olga", "--role", "supervisor", "--warehouse-id", "1"], db, "correct horse battery\n")
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    (stored,) = conn.execute("SELECT password_hash FROM users WHERE username = 'olga'").fetchone()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert conn.execute("SELECT warehouse_id FROM user_warehouses").fetchall() == [(1,)]


def test_a_supervisor_without_a_warehouse_or_a_short_password_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "users.db"
    run(["db", "upgrade"], db)
    no_warehouse = run(["user", "create", "--username", "olga", "--role", "supervisor"], db, "long enough password\n")
    short = run(["user", "create", "--username", "olga", "--role", "admin"], db, "short\n")
    assert no_warehouse.returncode != 0 and "warehouse_required" in no_warehouse.stderr
    assert short.returncode != 0 and "password_too_short" in short.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM users").fetchone() == (0,)
