"""Rejected ops, live hints, look-ups, wedge details and the courier's route, in the browser."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.handheld import (
    allow_slow_keyboard,
    enroll,
    poll,
    scan,
    unknown_ean13,
    wait_for_service_worker,
    wait_until_sent,
)

LOOKUP = "(code) => import('/js/replica.js').then((m) => m.lookupCode(code)).then((r) => r.kind)"


def test_ops_the_server_rejects_are_shown_with_their_reason(page: Page, tally_server: TallyServer) -> None:
    # Enrolled by scanning the supervisor's QR with the wedge scanner: no field tapped, no button.
    qr_text = tally_server.api("POST", "/api/devices/enrollments", {"role": "picker", "warehouse_id": 1})["qr_text"]
    allow_slow_keyboard(page)
    page.goto(f"{tally_server.url}/")
    page.wait_for_selector("#enroll-code")
    scan(page, qr_text)
    page.wait_for_function("document.body.dataset.screen === 'home'")
    device = page.evaluate("tally.meta('device')")
    # Crafted through the debug hook: an op type the server does not know, and a scan with no code.
    page.evaluate("tally.record('NoSuchOp', {x: 1})")
    page.evaluate("tally.record('RecordScan', {code: '', location: null, context: 'pick'})")
    wait_until_sent(page)

    rejected = page.evaluate("tally.rejected()")
    assert [(r["seq"], r["type"], r["code"]) for r in rejected] == [(1, "NoSuchOp", "unknown_op_type"), (2, "RecordScan", "invalid_payload")]
    page.click("#nav-sync")
    items = page.locator("#rejected-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("unknown_op_type")
    expect(items.nth(0)).to_contain_text("NoSuchOp")
    expect(items.nth(1)).to_contain_text("invalid_payload")
    expect(page.locator("#pending")).to_have_class("pending has-error")
    # Rejected ops still advance seq: the device is not blocked.
    assert tally_server.query("SELECT seq, status, code FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"]) == [
        (1, "rejected", "unknown_op_type"), (2, "rejected", "invalid_payload")]  # fmt: skip
    assert tally_server.device(device["device_id"])["last_seq"] == 2


def test_a_catalog_change_reaches_the_device_through_the_live_hint(page: Page, tally_server: TallyServer) -> None:
    enroll(page, tally_server, "picker", "Picker-hint")
    code = unknown_ean13(tally_server)
    assert page.evaluate(LOOKUP, code) is None
    tally_server.api("POST", "/api/products", {"sku": "SKU-HINT-1", "name": "Hinted product", "price": 1000, "currency": "RUB",
                                               "barcodes": [{"code": code, "multiplier": 1}]})  # fmt: skip
    # The 30-second timer is far away: only the server's hint makes the device pull this soon.
    poll(page, LOOKUP, "product", arg=code, timeout=10)


def test_wedge_scans_anywhere_look_up_products_and_bins_and_ignore_slow_typing(page: Page, tally_server: TallyServer) -> None:
    enroll(page, tally_server, "picker", "Picker-lookup")
    (ean, name), = tally_server.product_barcodes(1, multiplier=1)
    cases = tally_server.query("SELECT b.code, p.name, b.multiplier FROM product_barcodes b JOIN products p ON p.id = b.product_id "
                               "WHERE b.multiplier > 1 ORDER BY p.id LIMIT 1")
    (bin_barcode, bin_code), = tally_server.bins(1)

    # From home, without tapping any field: a marking code whose GS comes as Ctrl+] (ASCII GS).
    page.keyboard.type(f"]d201{ean.zfill(14)}21ABCDEFGHIJKLM")
    page.keyboard.press("Control+BracketRight")
    page.keyboard.type("93Ab12")
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.dataset.screen === 'lookup'")
    product = page.locator("#lookup-product")
    expect(product).to_contain_text(name)
    expect(product).to_contain_text("ABCDEFGHIJKLM␝93Ab12")

    scan(page, bin_barcode)
    expect(page.locator("#lookup-bin")).to_contain_text(bin_code)
    for case_code, case_name, multiplier in cases:  # a case GTIN counts several units
        scan(page, case_code)
        expect(page.locator("#lookup-product")).to_contain_text(case_name)
        expect(page.locator("#lookup-product")).to_contain_text(f"{multiplier}")

    # Someone typing slowly on a hardware keyboard is not a scanner: no look-up, no beep.
    page.evaluate("tally.scanner.maxGap = 100")  # the default, for this check only
    beeps = page.evaluate("tally.feedback.length")
    page.keyboard.type(ean, delay=150)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("tally.feedback.length") == beeps

    # Typed by hand into the code field: the same look-up.
    page.fill("#manual-code", "NOT-A-CODE")
    page.press("#manual-code", "Enter")
    expect(page.locator("#lookup-missing")).to_contain_text("NOT-A-CODE")


def test_the_courier_sees_the_route_offline_with_call_and_navigation_links(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    courier = tally_server.api("POST", "/api/couriers", {"name": "Иван Курьеров", "warehouse_id": 1, "phone": "+7 900 000-00-01"})
    order_ids = [oid for (oid,) in tally_server.query("SELECT id FROM orders WHERE warehouse_id = 1 ORDER BY id LIMIT 3")]
    route = tally_server.api("POST", "/api/routes", {"warehouse_id": 1, "day": dt.date.today().isoformat(), "courier_id": courier["id"],
                                                     "order_ids": order_ids, "vehicle": "А123ВС77"})  # fmt: skip
    # The courier opens the QR's link: the code arrives in the URL fragment.
    qr_text = tally_server.api("POST", "/api/devices/enrollments", {"role": "courier", "courier_id": courier["id"]})["qr_text"]
    assert qr_text.startswith(f"{tally_server.url}/#enroll=")
    page.goto(qr_text)
    expect(page.locator("#enroll-code")).to_have_value(qr_text.rsplit("=", 1)[1])
    page.fill("#enroll-name", "Courier-phone")
    page.click("#enroll-submit")
    page.wait_for_function("document.body.dataset.screen === 'home'")
    expect(page.locator("#tile-routes")).to_be_visible()
    expect(page.locator("#tile-scan")).to_have_count(0)
    wait_for_service_worker(page)

    context.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.click("#nav-routes")
    section = page.locator(f"section.route[data-route='{route['id']}']")
    expect(section.locator("li.stop")).to_have_count(3)
    expect(section).to_contain_text("А123ВС77")
    phone_link = section.locator("li.stop").first.locator("a[href^='tel:']").get_attribute("href")
    assert phone_link and " " not in phone_link

    section.locator("li.stop a.stop-main").first.click()
    page.wait_for_function("document.body.dataset.screen === 'stop'")
    expect(page.locator("#stop-card")).to_be_visible()
    expect(page.locator("#stop-call")).to_have_attribute("href", phone_link)
    assert (page.locator("#stop-navigate").get_attribute("href") or "").startswith("https://")
