"""What a person does with the handheld, as Playwright steps: enroll, scan, wait for sync."""

from __future__ import annotations

import random
import time
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import SCREENSHOTS, TallyServer

SIZES = [(390, 844), (360, 640)]
GS = "\x1d"


def enroll(page: Page, server: TallyServer, role: str = "picker", name: str = "Picker-1", *, base: str | None = None,
           **scope: int) -> dict:  # fmt: skip
    """Enroll through the enrollment screen (typing the code); return the stored device."""
    code = server.enrollment_code(role, **scope)
    allow_slow_keyboard(page)
    page.goto(f"{base or server.url}/")
    page.wait_for_selector("#enroll-code")
    page.fill("#enroll-code", code)
    page.fill("#enroll-name", name)
    page.click("#enroll-submit")
    page.wait_for_function("document.body.dataset.screen === 'home'", timeout=30_000)
    return page.evaluate("tally.meta('device')")


def allow_slow_keyboard(page: Page) -> None:
    """Playwright's keystrokes can come slower than a scanner's on a busy machine: give the wedge
    scanner of this page more time per character (a per-device setting the app honours)."""
    page.add_init_script("localStorage.setItem('tally.wedge.maxGap', '1000')")


def wait_for_service_worker(page: Page) -> None:
    """TESTING.md: wait for `ready`, reload, then the page must be controlled."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def scan(page: Page, code: str) -> None:
    """A keyboard-wedge scanner: the code typed fast, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


STATE = """async () => ({
  screen: document.body.dataset.screen, hash: location.hash, focus: document.activeElement?.id || document.activeElement?.tagName,
  rows: document.querySelectorAll('#scan-list li.scan-row').length, verdict: document.getElementById('verdict').innerText,
  feedback: tally.feedback.slice(-5), outbox: await tally.count('outbox'), replica: await tally.count('replica'),
})"""


def scan_and_wait(page: Page, code: str, rows: int) -> None:
    """Scan on the scan screen and wait until it lists `rows` accepted scans."""
    scan(page, code)
    try:
        page.wait_for_function(f"document.querySelectorAll('#scan-list li.scan-row').length === {rows}", timeout=15_000)
    except PlaywrightTimeout as error:
        raise AssertionError(f"scan {code!r} not listed as row {rows}: {page.evaluate(STATE)}") from error


def outbox(page: Page) -> list[dict]:
    return page.evaluate("tally.outbox()")


def poll(page: Page, expression: str, expected: object, *, timeout: float = 30.0, arg: object = None) -> None:
    """Evaluate (and await) `expression` until it returns `expected`. Playwright's wait_for_function
    does not await a promise, so IndexedDB questions are polled from here."""
    deadline = time.monotonic() + timeout
    while True:
        got = page.evaluate(expression, arg)
        if got == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} is {got!r}, not {expected!r}, after {timeout} s")
        time.sleep(0.1)


def wait_until_sent(page: Page, timeout: float = 30.0) -> None:
    """Sync now and wait until the outbox is empty and no sync is running."""
    page.evaluate("tally.syncNow()")
    poll(page, "Promise.all([tally.count('outbox'), tally.status()]).then(([n, s]) => n === 0 && !s.syncing)", True, timeout=timeout)


def unknown_ean13(server: TallyServer) -> str:
    """A valid EAN-13 that no product in the catalog carries."""
    known = {code for (code,) in server.query("SELECT code FROM product_barcodes")}
    rng = random.Random(7)
    while True:
        body = "46" + "".join(rng.choice("0123456789") for _ in range(10))
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
        code = body + str((10 - total % 10) % 10)
        if code not in known:
            return code


def shoot(page: Page, name: str, sizes: list[tuple[int, int]] = SIZES) -> list[Path]:
    """Screenshots of the current screen at each phone size; back to the first size after."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"{name}-{width}x{height}.png"
        page.screenshot(path=str(path))
        paths.append(path)
    page.set_viewport_size({"width": sizes[0][0], "height": sizes[0][1]})
    return paths
