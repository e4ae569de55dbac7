"""`tally import orders FILE --customer ID`: a progress bar on stderr, the report on stdout, an exit code per outcome."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import count_rows
from tests.intake.sheets import HEADER, csv_bytes, xlsx_bytes
from tests.intake.world import an_intake_world

ROOT = Path(__file__).resolve().parents[2]


def tally(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=os.environ | {"DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


async def test_an_order_file_is_imported_from_the_command_line(database_url, db, tmp_path) -> None:  # noqa: ANN001
    world = await an_intake_world(db)
    good = tmp_path / "заказ.csv"
    good.write_bytes(csv_bytes([HEADER] + [[n, "Гайка DIN 934 М8 оцинк.", "", n, ""] for n in range(1, 121)], encoding="cp1251"))
    done = tally(database_url, "import", "orders", str(good), "--customer", str(world["customer"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": done, order SO-" in done.stdout and "note: read as Windows-1251" in done.stdout
    assert "matching  [##############################] 120/120" in done.stderr  # the progress bar

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([["Наименование", "Количество"], ["Болт М8х40", "много"], [], ["Шайба М8", 5]]))
    refused = tally(database_url, "import", "orders", str(bad), "--customer", str(world["customer"]))
    assert refused.returncode == 1
    assert "row 2: invalid, quantity 'много' is not a number" in refused.stdout
    assert "row 3: skipped, empty row" in refused.stdout

    unsure = tmp_path / "unsure.csv"
    unsure.write_bytes(csv_bytes([HEADER, [1, "болт м8х40", "", "3", ""]]))
    waiting = tally(database_url, "import", "orders", str(unsure), "--customer", str(world["customer"]))
    assert waiting.returncode == 3 and "row 2: review, 'болт м8х40' -> " in waiting.stdout
    assert (await count_rows(db, "orders"))["orders"] == 1
