"""Browser tests of the supervisor pages: Debian's Chromium driven by Playwright, against a real `tally serve`.

One server per session over a SQLite file holding the same demo-like world as the HTTP tests
(tests/web/world.py). Screenshots of every page, on a laptop and a tablet, go to
tests/artifacts/screenshots/supervisor/.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.db.migrate import upgrade
from sync.database import Database
from tests.web.world import WebWorld, a_web_world

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots" / "supervisor"
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic"]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
HERE = Path(__file__).resolve().parent
BROWSER_DIRS = (HERE, HERE.parent / "browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API leaves its event loop marked as running on the
    main thread, which would break asyncio tests collected after it (tests/browser does the same)."""
    items.sort(key=lambda item: any(Path(str(item.path)).resolve().is_relative_to(d) for d in BROWSER_DIRS))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, never a Playwright-downloaded one (TESTING.md)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": LAPTOP, "locale": "ru-RU"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PagesServer:
    url: str
    db_path: Path
    world: WebWorld

    def execute(self, sql: str, *params: object) -> None:
        """Change the database behind the server's back, as a device's sync would."""
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            conn.execute(sql, params)
            conn.commit()
        finally:
            conn.close()

    def query(self, sql: str, *params: object) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


async def _build(url: str) -> WebWorld:
    db = Database(url)
    try:
        return await a_web_world(db, url)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def pages_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesServer]:
    folder = tmp_path_factory.mktemp("tally-pages")
    db_path = folder / "tally.db"
    url = f"sqlite+aiosqlite:///{db_path}"
    # Built on a thread of its own: Playwright may already hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, f"sqlite:///{db_path}").result()
        world = pool.submit(asyncio.run, _build(url)).result()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "TALLY_PUBLIC_URL": base}
    env.pop("TALLY_DEBUG", None)
    log = folder / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("tally")), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tally serve exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"tally serve did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield PagesServer(base, db_path, world)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
