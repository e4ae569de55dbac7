"""A server restored from a backup: the PWA reloads its replica (a new epoch) and sends again, from its
journal, the ops the restored server lost; every op ends on the server exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser

from tests.browser.conftest import PHONE, ROOT, TallyServer, free_port, tally, wait_healthy
from tests.browser.handheld import enroll, outbox, poll, scan_and_wait, wait_for_service_worker, wait_until_sent


class OnePort:
    """`tally serve` on a fixed port (the PWA's origin, hence its IndexedDB, must stay the same)."""

    def __init__(self, db_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}", "TALLY_PUBLIC_URL": self.url}
        self.env.pop("TALLY_DEBUG", None)
        self.log = db_path.parent / "serve.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen([str(Path(sys.executable).with_name("tally")), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                         env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        wait_healthy(self.url, self.proc, self.log)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # the page's live-hint stream keeps a graceful stop waiting
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def test_after_a_restore_the_pwa_resends_what_the_server_lost(browser: Browser, tmp_path: Path) -> None:
    db_path = tmp_path / "tally.db"
    server = OnePort(db_path)
    tally("db", "upgrade", env=server.env)
    tally("demo", "--orders", "5", "--products", "40", env=server.env)
    token = tally("token", "create", "--role", "admin", "--name", "restore", env=server.env).strip().splitlines()[-1]
    server.start()
    info = TallyServer(url=server.url, db_path=db_path, admin_token=token)
    context = browser.new_context(viewport=PHONE, locale="en-US")
    try:
        page = context.new_page()
        device = enroll(page, info, "picker", "Picker-restore")
        wait_for_service_worker(page)
        codes = [code for code, _ in info.product_barcodes(5)]
        page.click("#nav-scan")
        page.wait_for_function("document.body.dataset.screen === 'scan'")
        for rows, code in enumerate(codes[:2], start=1):
            scan_and_wait(page, code, rows)
        wait_until_sent(page)
        tally("backup", str(tmp_path / "backup.db"), env=server.env)  # while the server serves
        for rows, code in enumerate(codes[2:], start=3):
            scan_and_wait(page, code, rows)
        wait_until_sent(page)
        ops = lambda: info.query("SELECT seq, op_id FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"])  # noqa: E731
        everything = ops()
        assert [seq for seq, _ in everything] == [1, 2, 3, 4, 5] and outbox(page) == []
        cursor = page.evaluate("tally.meta('cursor')")

        server.stop()
        tally("restore", str(tmp_path / "backup.db"), env=server.env)
        assert [seq for seq, _ in ops()] == [1, 2]  # the server forgot seqs 3-5
        server.start()

        # The device's outbox is empty: its pull learns of the restore (a reset, an older checkpoint).
        wait_until_sent(page)
        poll(page, "tally.count('outbox')", 0)
        poll(page, "tally.status().then((s) => s.lastSeq)", 5)
        assert ops() == everything  # seqs 3-5 again, each once, under their own op ids
        assert info.query("SELECT code FROM scans WHERE device_id = ? ORDER BY seq", device["device_id"]) == [(c,) for c in codes]
        assert page.evaluate("tally.meta('cursor')") != cursor  # reloaded under the new epoch
        assert page.evaluate("tally.count('rejected')") == 0
    finally:
        context.close()
        server.stop()
