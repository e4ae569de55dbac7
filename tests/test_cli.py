"""The `tally` command as a script would use it: real processes, a real SQLite file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

TALLY = [sys.executable, "-m", "server.cli"]


def run(args: list[str], db: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(TALLY + args, env=env, capture_output=True, text=True, check=True, timeout=120)


def dump(db: Path, tables: list[str]) -> str:
    """A digest of the tables' contents, timestamps included."""
    conn = sqlite3.connect(db)
    digest = hashlib.sha256()
    for table in tables:
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def test_token_create_prints_the_token_alone_on_its_last_line(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    run(["db", "upgrade"], db)
    out = run(["token", "create", "--role", "office", "--name", "script"], db).stdout
    token = out.strip().splitlines()[-1]
    assert token.startswith("tly_") and " " not in token and len(token) > 40
    stored = sqlite3.connect(db).execute("SELECT token_hash, role FROM api_tokens").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "office")]  # stored hashed, never plain


def test_demo_data_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    tables = ["warehouses", "locations", "products", "product_barcodes", "customers", "customer_addresses",
              "orders", "order_lines", "order_events", "bin_stock", "product_stock", "reservations"]  # fmt: skip
    digests = []
    for name in ("a.db", "b.db"):
        db = tmp_path / name
        run(["db", "upgrade"], db)
        run(["demo", "--seed", "7", "--orders", "60", "--products", "150"], db)
        digests.append(dump(db, tables))
    assert digests[0] == digests[1]


def test_demo_data_respects_the_stock_invariants(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    run(["db", "upgrade"], db)
    run(["demo", "--orders", "200", "--products", "300"], db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM product_stock WHERE reserved < 0 OR reserved > on_hand").fetchone() == (0,)
    assert conn.execute("SELECT sum(reserved) FROM product_stock").fetchone() == conn.execute(
        "SELECT sum(quantity) FROM reservations"
    ).fetchone()
    assert conn.execute("SELECT (SELECT sum(on_hand) FROM product_stock) - (SELECT sum(quantity) FROM bin_stock)").fetchone() == (0,)
    kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM customers")}
    assert kinds == {"company", "person", "internal"}
    statuses = {s for (s,) in conn.execute("SELECT DISTINCT status FROM orders")}
    assert len(statuses) >= 10
    # every EAN-13 in the catalog carries a correct GS1 check digit
    from labels.gs1 import gs1_check_digit

    for (code,) in conn.execute("SELECT code FROM product_barcodes WHERE length(code) = 13"):
        assert gs1_check_digit(code[:12]) == int(code[12])


def test_demo_refuses_to_load_twice(tmp_path: Path) -> None:
    db = tmp_path / "twice.db"
    run(["db", "upgrade"], db)
    run(["demo", "--orders", "5", "--products", "20"], db)
    second = run(["demo", "--orders", "5", "--products", "20"], db)
    assert "already holds data" in second.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM orders").fetchone() == (5,)


def test_sync_compact_purges_old_changes_and_moves_the_purge_horizon(tmp_path: Path) -> None:
    db = tmp_path / "compact.db"
    run(["db", "upgrade"], db)
    conn = sqlite3.connect(db)
    conn.executemany(
        "INSERT INTO changes (version, scope, kind, entity_id, op, data, at) VALUES (?, 'catalog', 'product', ?, 'put', '{}', ?)",
        [(1, "1", "2020-01-01 00:00:00"), (2, "2", "2020-01-02 00:00:00"), (3, "3", "2999-01-01 00:00:00")],
    )
    conn.execute("UPDATE sync_state SET version = 3")
    conn.commit()
    out = run(["sync", "compact", "--keep-days", "30"], db).stdout
    assert "purged 2 changes" in out
    assert conn.execute("SELECT version FROM changes").fetchall() == [(3,)]
    assert conn.execute("SELECT purged_through FROM sync_state").fetchone() == (2,)
