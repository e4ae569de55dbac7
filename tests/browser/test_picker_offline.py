"""A picker works a shift offline: scans are checked on the device, kept, and reach the server once."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.handheld import (
    GS,
    enroll,
    outbox,
    scan,
    scan_and_wait,
    unknown_ean13,
    wait_for_service_worker,
    wait_until_sent,
)

# A vibration log instead of a motor: the page's navigator.vibrate records its patterns.
RECORD_VIBRATIONS = "window.__vibrations = []; navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };"


def test_offline_picker_scans_are_checked_kept_across_reload_and_reach_the_server_exactly_once(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    page.add_init_script(RECORD_VIBRATIONS)
    device = enroll(page, tally_server, "picker", "Picker-offline")
    assert device["role"] == "picker" and device["token"].startswith("tld_")
    wait_for_service_worker(page)
    assert page.evaluate("tally.count('replica')") > 200  # 200 products and the warehouse's bins

    (bin_code, bin_name), = tally_server.bins(1)
    (ean_a, _), (ean_b, _), (ean_c, name_c) = tally_server.product_barcodes(3)
    gtin_b = ean_b.zfill(14)
    wrong = unknown_ean13(tally_server)
    scans = [
        bin_code,                                          # the bin first
        ean_a,                                             # a plain EAN-13
        f"]C101{gtin_b}10LOT42{GS}21SER1",                 # GS1-128 with its identifier and a GS
        f"]d201{ean_c.zfill(14)}21ABCDEFGHIJKLM{GS}93Ab12",  # a marking code (DataMatrix)
    ]

    context.set_offline(True)
    page.click("#nav-scan")
    page.wait_for_function("document.body.dataset.screen === 'scan'")
    for rows, code in enumerate(scans, start=1):
        scan_and_wait(page, code, rows)
    expect(page.locator("#current-bin")).to_have_text(bin_name)
    expect(page.locator("#scan-list li.scan-row").first).to_contain_text(name_c)

    # A wrong item: refused on the screen, loudly, with no network, and not recorded.
    scan(page, wrong)
    refusal = page.locator("#verdict .verdict-box.refused")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(wrong)
    assert page.evaluate("tally.feedback.at(-1)") == "refused"
    assert page.evaluate("window.__vibrations.at(-1)") == [250, 100, 250, 100, 250]
    expect(page.locator("#refused-count")).to_contain_text("1")
    page.click("#verdict button")

    ops = outbox(page)
    assert [op["seq"] for op in ops] == [1, 2, 3, 4]
    assert [op["payload"]["code"] for op in ops] == scans
    assert all(op["type"] == "RecordScan" and op["payload"]["location"] == bin_name for op in ops)
    expect(page.locator("#pending")).to_have_attribute("data-count", "4")
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ?", device["device_id"]) == [(0,)]

    # Reload offline: the shell comes from the service worker, the outbox is intact.
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert outbox(page) == ops
    expect(page.locator("#pending")).to_have_attribute("data-count", "4")

    # Back online: every op reaches the server exactly once.
    context.set_offline(False)
    wait_until_sent(page)
    expect(page.locator("#pending")).to_have_attribute("data-count", "0")
    rows = tally_server.query("SELECT seq, op_id, status FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"])
    assert rows == [(op["seq"], op["op_id"], "applied") for op in ops]
    recorded = tally_server.query("SELECT code, location, context FROM scans WHERE device_id = ? ORDER BY seq", device["device_id"])
    assert recorded == [(code, bin_name, "pick") for code in scans]
    assert tally_server.device(device["device_id"])["last_seq"] == 4

    # Another sync sends nothing again.
    page.evaluate("tally.syncNow()")
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ?", device["device_id"]) == [(4,)]
