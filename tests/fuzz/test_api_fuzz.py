"""A bounded schemathesis run over every operation of the OpenAPI document, on SQLite: 0 server errors.
The long run is `scripts/fuzz_api.py` (docs/reliability.md, "Fuzzing")."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from server.app import create_app
from server.settings import Settings
from tests.fuzz.api_fuzz import Target, fuzz_operation, operations

EXAMPLES = 5  # per operation and mode: 2 × 5 × 69 operations ≈ 700 requests


def test_no_generated_request_to_any_operation_gets_a_server_error(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, path)
    ops = list(operations(create_app(Settings())))
    assert len(ops) > 60  # every documented operation is fuzzed, not a few
    with asyncio.Runner() as runner:
        target = runner.run(Target.open(f"sqlite+aiosqlite:///{path}"))
        try:
            errors = [e for op in ops for e in fuzz_operation(runner, target, op, EXAMPLES)]
        finally:
            runner.run(target.close())
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors)
    assert target.cases >= len(ops) * 2  # the requests were really sent
    assert sum(n for status, n in target.statuses.items() if 200 <= status < 300) > 0  # and some got through
