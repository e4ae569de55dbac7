"""Browser tests: Debian's Chromium driven by Playwright, against a real `tally serve`.

One server per test session, on a free port, over a fresh SQLite file built by `tally db upgrade`
and `tally demo --orders 20 --products 200`. Each test enrolls its own device in its own browser
context (its own IndexedDB and service worker).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic"]
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps its event loop marked as running on the
    main thread for as long as its session lasts, so asyncio.run() and pytest-asyncio tests after
    the first browser test would fail."""
    here = Path(__file__).resolve().parent
    items.sort(key=lambda item: Path(str(item.path)).resolve().is_relative_to(here))  # stable: others keep their order


def pytest_configure(config: pytest.Config) -> None:
    # pytest-base-url (which pytest-playwright brings) declares `base_url` in a way pytest 9 warns about.
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, never a Playwright-downloaded one (TESTING.md)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: ./scripts/test installs it (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": PHONE, "locale": "en-US", "service_workers": "allow"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tally(*args: str, env: dict[str, str]) -> str:
    """Run the `tally` command of this virtual environment; return its output."""
    exe = Path(sys.executable).with_name("tally")
    done = subprocess.run([str(exe), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tally {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tally serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"tally serve did not answer at {url}:\n{log.read_text()}")


@dataclass
class TallyServer:
    """A running server, its database file and an admin token."""

    url: str
    db_path: Path
    admin_token: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def api(self, method: str, path: str, body: Any = None, *, token: str | None = None, base: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        response = httpx.request(method, f"{base or self.url}{path}", json=body, headers=headers, timeout=30)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def enrollment_code(self, role: str = "picker", **scope: int) -> str:
        if role != "courier":
            scope.setdefault("warehouse_id", 1)
        return self.api("POST", "/api/devices/enrollments", {"role": role, **scope})["code"]

    def query(self, sql: str, *params: Any) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def device(self, device_id: str) -> dict:
        return next(d for d in self.api("GET", "/api/devices") if d["id"] == device_id)

    def product_barcodes(self, n: int, *, multiplier: int = 1) -> list[tuple[str, str]]:
        """(barcode, product name) of `n` products, by id."""
        return self.query(
            "SELECT b.code, p.name FROM product_barcodes b JOIN products p ON p.id = b.product_id "
            "WHERE b.multiplier = ? ORDER BY p.id, b.code LIMIT ?",
            multiplier, n,
        )

    def bins(self, n: int, warehouse_id: int = 1) -> list[tuple[str, str]]:
        """(barcode, code) of `n` bins of a warehouse."""
        return self.query("SELECT barcode, code FROM locations WHERE warehouse_id = ? ORDER BY id LIMIT ?", warehouse_id, n)

    def serve(self, *, pwa_dir: Path | None = None) -> str:
        """Start one more server process on the same database (optionally serving another PWA folder)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}", "TALLY_PUBLIC_URL": url}
        log = self.db_path.parent / f"serve-{port}.log"
        if pwa_dir is None:
            cmd = [str(Path(sys.executable).with_name("tally")), "serve", "--host", "127.0.0.1", "--port", str(port)]
        else:
            # The same `tally serve`, with the static folder pointed at a copy (for the update test).
            launcher = (
                "import sys, pathlib, server.app as app; app.PWA_DIR = pathlib.Path(sys.argv[1]); "
                "from server.cli import main; main(sys.argv[2:])"
            )
            cmd = [sys.executable, "-c", launcher, str(pwa_dir), "serve", "--host", "127.0.0.1", "--port", str(port)]
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        wait_healthy(url, proc, log)
        return url


@pytest.fixture(scope="session")
def tally_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TallyServer]:
    """`tally serve` over a fresh demo database."""
    folder = tmp_path_factory.mktemp("tally-browser")
    db_path = folder / "tally.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}"}
    env.pop("TALLY_DEBUG", None)
    tally("db", "upgrade", env=env)
    tally("demo", "--orders", "20", "--products", "200", env=env)
    token = tally("token", "create", "--role", "admin", "--name", "browser-tests", env=env).strip().splitlines()[-1]
    server = TallyServer(url="", db_path=db_path, admin_token=token)
    server.url = server.serve()
    try:
        yield server
    finally:
        for proc in server.procs:
            proc.terminate()
        for proc in server.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def golden(name: str) -> Any:
    return json.loads((Path(__file__).parent / "golden" / name).read_text())
