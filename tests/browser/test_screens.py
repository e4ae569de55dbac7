"""Every screen, in Russian and English, at 390×844 and 360×640: screenshots for people to look at,
and the checks a glove-wearing picker needs (no sideways scrolling, touch targets of 48 px or more)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, TallyServer
from tests.browser.handheld import (
    SIZES,
    enroll,
    scan,
    scan_and_wait,
    shoot,
    unknown_ean13,
    wait_for_service_worker,
)

LOCALES = {"en": "en-US", "ru": "ru-RU"}
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.5 Mobile/15E148 Safari/604.1")  # fmt: skip

USABILITY = r"""() => {
  const problems = [];
  const width = window.innerWidth;
  const text = document.body.innerText;
  if (/\b(null|undefined|NaN)\b|\[object /.test(text)) problems.push(`stray value in the text: ${text.match(/\b(null|undefined|NaN)\b|\[object /)[0]}`);
  if (document.documentElement.scrollWidth > width) problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  const targets = 'button, a.big, a.tile, .nav a, a.icon-button, a.pending, a.back, input:not(.wedge-sink), .banner button';
  for (const el of document.querySelectorAll(targets)) {
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;  // not shown
    if (r.height < 47.5 || r.width < 47.5) problems.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${Math.round(r.width)}×${Math.round(r.height)}`);
    if (r.right > width + 0.5) problems.push(`${el.tagName.toLowerCase()}#${el.id} sticks out: right ${Math.round(r.right)}`);
  }
  return problems;
}"""


def snap(page: Page, name: str) -> None:
    """Screenshot at both sizes, checking at each that the screen is usable."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate(USABILITY) == [], f"{name} at {width}×{height}"
    shoot(page, name)


def screen(page: Page, name: str) -> None:
    page.wait_for_function(f"document.body.dataset.screen === '{name}'")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_screen_is_usable_at_phone_sizes_and_photographed(browser: Browser, tally_server: TallyServer, lang: str) -> None:
    picker = browser.new_context(viewport=PHONE, locale=LOCALES[lang])
    try:
        page = picker.new_page()
        page.goto(f"{tally_server.url}/")
        page.wait_for_selector("#enroll-code")
        assert page.evaluate("document.documentElement.lang") == lang
        snap(page, f"01-enroll-{lang}")
        page.fill("#enroll-code", "WRONG-CODE1")
        page.click("#enroll-submit")
        expect(page.locator("#enroll-message.error")).to_be_visible()
        snap(page, f"02-enroll-refused-{lang}")

        enroll(page, tally_server, "picker", f"ТСД-07 {lang}" if lang == "ru" else f"Handheld-07 {lang}")
        wait_for_service_worker(page)
        snap(page, f"03-home-picker-{lang}")

        picker.set_offline(True)
        page.click("#nav-scan")
        screen(page, "scan")
        (bin_code, _), = tally_server.bins(1)
        codes = [code for code, _ in tally_server.product_barcodes(12)][9:12]
        for rows, code in enumerate([bin_code, *codes], start=1):
            scan_and_wait(page, code, rows)
        page.wait_for_timeout(800)  # the green flash fades
        snap(page, f"04-scan-offline-{lang}")
        scan(page, unknown_ean13(tally_server))
        expect(page.locator("#verdict .refused")).to_be_visible()
        snap(page, f"05-scan-refused-{lang}")
        page.click("#verdict button")

        page.click("#nav-lookup")
        screen(page, "lookup")
        snap(page, f"06-lookup-empty-{lang}")
        scan(page, codes[0])
        expect(page.locator("#lookup-product")).to_be_visible()
        snap(page, f"07-lookup-product-{lang}")
        scan(page, bin_code)
        expect(page.locator("#lookup-bin")).to_be_visible()
        snap(page, f"08-lookup-bin-{lang}")

        page.evaluate("tally.record('RecordScan', {code: '', location: null, context: 'pick'})")
        page.click("#nav-sync")
        screen(page, "sync")
        expect(page.locator("#offline-note")).to_be_visible()
        snap(page, f"09-sync-offline-pending-{lang}")
        picker.set_offline(False)
        page.evaluate("tally.syncNow()")
        expect(page.locator("#rejected-list li")).to_have_count(1)
        expect(page.locator("#sync-pending")).to_have_text("0")
        snap(page, f"10-sync-rejected-{lang}")

        # The language switch, one tap in the status bar.
        page.click("#lang")
        other = "ru" if lang == "en" else "en"
        assert page.evaluate("document.documentElement.lang") == other
        expect(page.locator("#nav-sync")).to_contain_text("Синхр." if other == "ru" else "Sync")
        page.click("#lang")
    finally:
        picker.close()

    courier = browser.new_context(viewport=PHONE, locale=LOCALES[lang])
    try:
        page = courier.new_page()
        who = tally_server.api("POST", "/api/couriers", {"name": f"Courier {lang}", "warehouse_id": 1, "phone": "+79000000002"})
        order_ids = [oid for (oid,) in tally_server.query("SELECT id FROM orders WHERE warehouse_id = 1 ORDER BY id DESC LIMIT 4")]
        tally_server.api("POST", "/api/routes", {"warehouse_id": 1, "day": dt.date.today().isoformat(), "courier_id": who["id"],
                                                 "order_ids": order_ids, "vehicle": "В456ОР77"})  # fmt: skip
        enroll(page, tally_server, "courier", f"Courier phone {lang}", courier_id=who["id"])
        snap(page, f"11-home-courier-{lang}")
        page.click("#nav-routes")
        screen(page, "routes")
        snap(page, f"12-routes-{lang}")
        page.locator("li.stop a.stop-main").first.click()
        screen(page, "stop")
        snap(page, f"13-stop-{lang}")
    finally:
        courier.close()

    iphone = browser.new_context(viewport=PHONE, locale=LOCALES[lang], user_agent=IPHONE_UA, is_mobile=True, has_touch=True)
    try:
        page = iphone.new_page()
        page.goto(f"{tally_server.url}/")
        expect(page.locator("#install-ios")).to_be_visible()
        snap(page, f"14-ios-install-hint-{lang}")
    finally:
        iphone.close()
