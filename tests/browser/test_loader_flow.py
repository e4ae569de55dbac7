"""A loader loads a route offline by scanning parcel labels: a label for another vehicle is refused
on the device, what is missing is shown, and the route is dispatched once nothing is."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.floor import packed, route, shoot_settled, status, stocked_products
from tests.browser.handheld import enroll, outbox, scan, wait_for_service_worker, wait_until_sent


def _refused(page: Page, title: str) -> None:
    expect(page.locator("#verdict .verdict-box.refused")).to_contain_text(title)
    page.click("#verdict button")


def test_a_loader_loads_a_route_offline_and_dispatches_it_when_nothing_is_missing(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    (sku_a, ean_a, _), (sku_b, ean_b, _) = stocked_products(tally_server, 2, skip=12)
    codes = {sku_a: ean_a, sku_b: ean_b}
    order, (first, second) = packed(tally_server, [(sku_a, 2), (sku_b, 1)], codes, parcels=2)
    other_order, (elsewhere,) = packed(tally_server, [(sku_b, 1)], codes)
    mine = route(tally_server, [order], "Газель А123")
    other = route(tally_server, [other_order], "Ларгус В456")
    device = enroll(page, tally_server, "loader", "Loader-1")
    wait_for_service_worker(page)

    context.set_offline(True)
    page.click("#tile-loader")
    page.wait_for_selector(f"#load-routes [data-route='{mine}']")
    shoot_settled(page, "loader-routes")
    page.click(f"#load-routes [data-route='{mine}']")
    expect(page.locator("#load-missing-count")).to_have_text("2")
    expect(page.locator("#load-dispatch")).to_be_disabled()
    shoot_settled(page, "loader-route")

    scan(page, ean_a)
    _refused(page, "Not an SSCC label")
    scan(page, elsewhere)
    expect(page.locator("#verdict .verdict-box.refused")).to_contain_text(f"route {other}")
    shoot_settled(page, "loader-wrong-vehicle")
    _refused(page, "Wrong vehicle")
    scan(page, f"]C100{first}")  # the GS1-128 label as scanned
    expect(page.locator("#load-count")).to_have_text("1 / 2")
    expect(page.locator(f"#load-missing li[data-sscc='{second}']")).to_be_visible()
    scan(page, second)
    expect(page.locator("#load-count")).to_have_text("2 / 2")
    expect(page.locator("#load-complete")).to_be_visible()
    page.click("#load-dispatch")
    expect(page.locator("#load-dispatched")).to_be_visible()
    shoot_settled(page, "loader-dispatched")
    ops = outbox(page)
    assert [(op["type"], op["payload"]) for op in ops] == [
        ("LoadParcel", {"route_id": mine, "sscc": f"]C100{first}"}),
        ("LoadParcel", {"route_id": mine, "sscc": second}),
        ("DispatchRoute", {"route_id": mine}),
    ]

    context.set_offline(False)
    wait_until_sent(page)
    rows = tally_server.query("SELECT seq, op_id, status FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"])
    assert rows == [(op["seq"], op["op_id"], "applied") for op in ops]
    assert tally_server.query("SELECT sscc, status, route_id FROM parcels WHERE order_id = ? ORDER BY sscc", order) == [
        (first, "loaded", mine), (second, "loaded", mine)
    ]
    assert tally_server.query("SELECT status FROM routes WHERE id = ?", mine) == [("dispatched",)]
    assert status(tally_server, order) == "out_for_delivery"
    assert tally_server.query("SELECT status FROM parcels WHERE sscc = ?", elsewhere) == [("closed",)]
