"""Ops pending on the device survive a browser restart and an app update: nothing lost or doubled."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, ROOT, TallyServer
from tests.browser.handheld import (
    enroll,
    outbox,
    scan_and_wait,
    shoot,
    wait_for_service_worker,
    wait_until_sent,
)


def _scan_three(page: Page, server: TallyServer) -> list[str]:
    codes = [code for code, _name in server.product_barcodes(8)][5:8]
    page.click("#nav-scan")
    page.wait_for_function("document.body.dataset.screen === 'scan'")
    for rows, code in enumerate(codes, start=1):
        scan_and_wait(page, code, rows)
    return codes


def _server_ops(server: TallyServer, device_id: str) -> list[tuple]:
    return server.query("SELECT seq, op_id FROM op_log WHERE device_id = ? ORDER BY seq", device_id)


def _persistent(playwright: Playwright, profile: Path) -> BrowserContext:
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, viewport=PHONE, locale="en-US"
    )


def test_ops_pending_at_a_browser_restart_are_sent_once_afterwards(
    playwright: Playwright, tally_server: TallyServer, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    context = _persistent(playwright, profile)
    page = context.pages[0] if context.pages else context.new_page()
    device = enroll(page, tally_server, "picker", "Picker-restart")
    wait_for_service_worker(page)
    context.set_offline(True)
    codes = _scan_three(page, tally_server)
    before = outbox(page)
    assert [op["payload"]["code"] for op in before] == codes
    context.close()  # the browser goes away with three ops unsent

    context = _persistent(playwright, profile)
    try:
        context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        response = page.goto(f"{tally_server.url}/")
        assert response is not None and response.from_service_worker
        page.wait_for_function("document.body.dataset.ready === 'true'")
        assert outbox(page) == before
        expect(page.locator("#pending")).to_have_attribute("data-count", "3")
        assert _server_ops(tally_server, device["device_id"]) == []

        context.set_offline(False)
        wait_until_sent(page)
        assert _server_ops(tally_server, device["device_id"]) == [(op["seq"], op["op_id"]) for op in before]
        assert tally_server.query("SELECT code FROM scans WHERE device_id = ? ORDER BY seq", device["device_id"]) == [(c,) for c in codes]
    finally:
        context.close()


def _bump_shell(pwa: Path, version: str) -> None:
    """A new release of the shell in the served folder: another version and build."""
    sw = pwa / "sw.js"
    text = re.sub(r"const VERSION = '[^']*';", f"const VERSION = '{version}';", sw.read_text())
    sw.write_text(re.sub(r"const BUILD = '[^']*';", "const BUILD = 'next-build';", text))
    js = pwa / "js" / "version.js"
    js.write_text(re.sub(r"APP_VERSION = '[^']*'", f"APP_VERSION = '{version}'", js.read_text()))


def test_an_app_update_with_ops_pending_keeps_every_op_and_sends_each_once(
    browser: Browser, tally_server: TallyServer, tmp_path: Path
) -> None:
    pwa = tmp_path / "pwa"
    shutil.copytree(ROOT / "pwa", pwa)
    base = tally_server.serve(pwa_dir=pwa)  # a second server process, same database, its own shell folder
    context = browser.new_context(viewport=PHONE, locale="en-US")
    try:
        page = context.new_page()
        device = enroll(page, tally_server, "picker", "Picker-update", base=base)
        wait_for_service_worker(page)
        old_caches = page.evaluate("caches.keys()")

        # The network to the sync endpoint fails: ops stay pending while the app is online.
        def refuse(route: Route) -> None:
            route.abort("connectionrefused")

        context.route("**/api/sync/push", refuse)
        codes = _scan_three(page, tally_server)
        before = outbox(page)
        assert len(before) == 3

        _bump_shell(pwa, "0.1.1-test")
        page.evaluate("tally.checkForUpdate()")
        reload_button = page.locator("#update button")
        expect(reload_button).to_be_visible(timeout=20_000)
        shoot(page, "15-update-ready-en")
        with page.expect_navigation():
            reload_button.click()
        page.wait_for_function("document.body.dataset.ready === 'true'")
        assert page.evaluate("tally.version") == "0.1.1-test"
        new_caches = page.evaluate("caches.keys()")
        assert not set(old_caches) & {name for name in new_caches if name.startswith("tally-shell-")}
        assert [n for n in new_caches if n.startswith("tally-shell-")] == ["tally-shell-0.1.1-test-next-build"]
        assert outbox(page) == before
        assert _server_ops(tally_server, device["device_id"]) == []

        context.unroute("**/api/sync/push", refuse)
        wait_until_sent(page)
        assert _server_ops(tally_server, device["device_id"]) == [(op["seq"], op["op_id"]) for op in before]
        assert tally_server.query("SELECT code FROM scans WHERE device_id = ? ORDER BY seq", device["device_id"]) == [(c,) for c in codes]
    finally:
        context.close()


STALE = "{kind: 'product', id: 'stale', data: {id: 0, sku: 'OLD', name: 'gone', barcodes: [['STALE-1', 1]]}, codes: ['STALE-1']}"


def test_a_reset_reloads_the_replica_and_keeps_the_pending_ops(page: Page, context: BrowserContext, tally_server: TallyServer) -> None:
    device = enroll(page, tally_server, "picker", "Picker-reset")
    replica = page.evaluate("tally.count('replica')")
    page.evaluate(f"import('/js/db.js').then((db) => db.put('replica', {STALE}))")
    context.set_offline(True)
    codes = _scan_three(page, tally_server)
    before = outbox(page)
    # A cursor this server never issued (as after a restore elsewhere) is answered with a reset.
    page.evaluate("import('/js/db.js').then((db) => db.setMeta('cursor', 'not-a-cursor'))")

    context.set_offline(False)
    wait_until_sent(page)
    assert _server_ops(tally_server, device["device_id"]) == [(op["seq"], op["op_id"]) for op in before]
    assert tally_server.query("SELECT code FROM scans WHERE device_id = ? ORDER BY seq", device["device_id"]) == [(c,) for c in codes]
    assert page.evaluate("tally.count('replica')") == replica
    assert page.evaluate("import('/js/replica.js').then((m) => m.lookupCode('STALE-1')).then((r) => r.kind)") is None
    assert page.evaluate("tally.meta('cursor')") != "not-a-cursor"


def _kill_browser(profile: Path) -> int:
    """SIGKILL the Chromium process that holds `profile` (the browser process, not its renderers):
    no unload handlers, no IndexedDB close; what is on disk is all that is left."""
    marker = f"--user-data-dir={profile}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in argv and not any(arg.startswith(b"--type=") for arg in argv):
            os.kill(int(proc.name), signal.SIGKILL)
            return int(proc.name)
    raise AssertionError(f"no browser process holds {profile}")


@pytest.mark.parametrize("reached_server", [True, False], ids=["answer-lost", "request-lost"])
def test_a_browser_killed_with_a_push_in_flight_resends_its_outbox_once(
    playwright: Playwright, tally_server: TallyServer, tmp_path: Path, reached_server: bool
) -> None:
    profile = tmp_path / "profile"
    context = _persistent(playwright, profile)
    page = context.pages[0] if context.pages else context.new_page()
    device = enroll(page, tally_server, "picker", f"Picker-killed-{reached_server}")
    wait_for_service_worker(page)
    context.set_offline(True)
    codes = _scan_three(page, tally_server)
    before = outbox(page)
    expected = [(op["seq"], op["op_id"]) for op in before]

    # The push is held in flight: sent on to the server (which commits it) or not, never answered.
    in_flight: list[int] = []

    def hold(route: Route) -> None:
        if reached_server:
            assert route.fetch().status == 200
        in_flight.append(1)

    context.route("**/api/sync/push", hold)
    context.set_offline(False)
    page.evaluate("tally.syncNow()")
    deadline = time.monotonic() + 30
    while not in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert in_flight, "the push never started"
    assert _server_ops(tally_server, device["device_id"]) == (expected if reached_server else [])
    assert page.evaluate("tally.status()")["syncing"] and outbox(page) == before  # still waiting for the answer
    _kill_browser(profile)
    with contextlib.suppress(Exception):
        context.close()

    context = _persistent(playwright, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        context.set_offline(True)
        response = page.goto(f"{tally_server.url}/")
        assert response is not None and response.from_service_worker
        page.wait_for_function("document.body.dataset.ready === 'true'")
        assert outbox(page) == before  # nothing lost on the device

        context.set_offline(False)
        wait_until_sent(page)  # the outbox resumes: sent again, answered applied or duplicate
        assert _server_ops(tally_server, device["device_id"]) == expected  # each op once, with its own op id
        assert tally_server.query("SELECT code FROM scans WHERE device_id = ? ORDER BY seq", device["device_id"]) == [(c,) for c in codes]
        assert outbox(page) == [] and page.evaluate("tally.count('rejected')") == 0
    finally:
        context.close()
