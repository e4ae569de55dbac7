"""A checker recounts an order someone else picked: per-line results on the device, offline; the
server checks the order once the count arrives."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.floor import picked, shoot_settled, status, stocked_products
from tests.browser.handheld import enroll, outbox, scan, unknown_ean13, wait_for_service_worker, wait_until_sent


def _count(page: Page, product_id: int) -> str:
    return page.inner_text(f"#check-lines li[data-product='{product_id}'] .check-count")


def test_a_checker_recounts_a_picked_order_offline_and_the_server_checks_it(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    (sku_a, ean_a, _), (sku_b, ean_b, _) = stocked_products(tally_server, 2, skip=4)
    order = picked(tally_server, [(sku_a, 2), (sku_b, 1)], {sku_a: ean_a, sku_b: ean_b})
    (id_a,), (id_b,) = tally_server.query("SELECT id FROM products WHERE sku IN (?, ?) ORDER BY sku = ?", sku_a, sku_b, sku_b)
    device = enroll(page, tally_server, "checker", "Checker-1")
    wait_for_service_worker(page)
    task = page.evaluate(f"import('/js/replica.js').then((m) => m.getEntity('check_task', {order}))")
    (picker,) = task["picked_by"]
    assert picker != device["device_id"]

    context.set_offline(True)
    page.click("#tile-checker")
    page.click(f"#check-tasks [data-order='{order}']")
    page.wait_for_selector("#check-lines")
    shoot_settled(page, "checker-task")

    # An unknown barcode is refused; one unit too many shows as extra, line by line.
    stranger = unknown_ean13(tally_server)
    scan(page, stranger)
    expect(page.locator("#verdict .verdict-box.refused")).to_contain_text("Unknown barcode")
    page.click("#verdict button")
    for code in (ean_a, ean_a, ean_a, ean_b):
        scan(page, code)
    expect(page.locator(f"#check-lines li[data-product='{id_a}']")).to_have_attribute("data-status", "extra")
    # The last scan (b) may still be on its way to the screen: wait for it, then read both counts.
    expect(page.locator(f"#check-lines li[data-product='{id_b}'] .check-count")).to_have_text("1 / 1")
    assert _count(page, id_a) == "3 / 2" and _count(page, id_b) == "1 / 1"
    shoot_settled(page, "checker-extra")

    # The count survives a reload (offline, from the service worker).
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator(f"#check-lines li[data-product='{id_a}']")).to_have_attribute("data-status", "extra")
    assert _count(page, id_a) == "3 / 2"

    page.click("#check-reset")
    expect(page.locator(f"#check-lines li[data-product='{id_a}']")).to_have_attribute("data-status", "missing")
    for code in (ean_a, ean_b, ean_a):
        scan(page, code)
    expect(page.locator(f"#check-lines li[data-product='{id_a}']")).to_have_attribute("data-status", "ok")
    expect(page.locator(f"#check-lines li[data-product='{id_b}']")).to_have_attribute("data-status", "ok")
    page.click("#check-finish")
    expect(page.locator("#check-result")).to_have_attribute("data-result", "passed")
    shoot_settled(page, "checker-result")
    ops = outbox(page)
    assert [(op["type"], op["payload"]) for op in ops] == [
        ("CheckOrder", {"order_id": order, "items": [{"code": ean_a, "quantity": 2}, {"code": ean_b, "quantity": 1}]})
    ]
    assert status(tally_server, order) == "picked"

    context.set_offline(False)
    wait_until_sent(page)
    assert tally_server.query("SELECT type, status FROM op_log WHERE device_id = ?", device["device_id"]) == [("CheckOrder", "applied")]
    assert tally_server.query("SELECT result FROM order_checks WHERE order_id = ?", order) == [("passed",)]
    assert status(tally_server, order) == "checked"
    page.click(".back")
    expect(page.locator(f"#check-tasks [data-order='{order}']")).to_have_count(0)
