"""The long schemathesis run: every API operation, valid and schema-breaking requests, live tokens.

    .venv/bin/python scripts/fuzz_api.py [--examples 100] [--database-url postgresql+asyncpg://...]

Builds a fresh SQLite database (or uses the given, already migrated, one), sends `examples` generated
cases per operation and mode in-process, and prints the cases run, the answers by status and every
server error. Exits 1 if any request answered 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.app import create_app  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.fuzz.api_fuzz import Target, fuzz_operation, operations  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="cases per operation and mode")
    parser.add_argument("--database-url", help="an already migrated database (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="tally-fuzz-")) / "fuzz.db"
        upgrade(f"sqlite:///{path}")
        url = f"sqlite+aiosqlite:///{path}"
    ops = list(operations(create_app(Settings())))
    errors: list[str] = []
    started = time.monotonic()
    with asyncio.Runner() as runner:
        target = runner.run(Target.open(url))
        try:
            for op in ops:
                errors += fuzz_operation(runner, target, op, args.examples)
        finally:
            runner.run(target.close())
    print(f"operations {len(ops)}, cases {target.cases}, server errors {len(errors)}, {time.monotonic() - started:.0f} s")
    print("answers by status:", dict(sorted(target.statuses.items())))
    for error in errors:
        print("  ", error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
