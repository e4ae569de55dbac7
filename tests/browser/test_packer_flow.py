"""A packer packs a checked order offline under an SSCC from the device's own block; the label is
printed through the server once the parcel has reached it."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.floor import checked, shoot_settled, status, stocked_products
from tests.browser.handheld import enroll, outbox, scan, wait_for_service_worker, wait_until_sent


def _refused(page: Page, title: str) -> None:
    expect(page.locator("#verdict .verdict-box.refused")).to_contain_text(title)
    page.click("#verdict button")


def test_a_packer_packs_offline_under_its_own_sscc_and_the_label_prints_once_online(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    (sku_a, ean_a, _), (sku_b, ean_b, _), (_, ean_other, _) = stocked_products(tally_server, 3, skip=8)
    order = checked(tally_server, [(sku_a, 2), (sku_b, 1)], {sku_a: ean_a, sku_b: ean_b})
    device = enroll(page, tally_server, "packer", "Packer-1")
    wait_for_service_worker(page)
    (first, prefix, ext), = tally_server.query(
        "SELECT first_serial, company_prefix, extension_digit FROM sscc_blocks WHERE device_id = ?", device["device_id"])

    context.set_offline(True)
    page.click("#tile-packer")
    page.click(f"#pack-orders [data-order='{order}']")
    page.wait_for_selector("#pack-open")
    shoot_settled(page, "packer-order")
    scan(page, ean_a)
    _refused(page, "Open a parcel first")
    page.click("#pack-open")
    page.wait_for_selector("#pack-parcel")
    sscc = page.inner_text("#pack-sscc").removeprefix("(00) ")
    assert sscc.startswith(f"{ext}{prefix}") and int(sscc[1 + len(prefix):17]) == first  # the block's first serial

    scan(page, ean_other)
    _refused(page, "Not picked for this order")
    for code in (ean_a, ean_b, ean_a):
        scan(page, code)
    expect(page.locator("#pack-lines li.is-missing")).to_have_count(0)
    scan(page, ean_a)
    _refused(page, "more than was picked")
    page.fill("#pack-weight", "abc")
    page.click("#pack-close")
    _refused(page, "Enter the weight")
    shoot_settled(page, "packer-parcel")
    page.fill("#pack-weight", "1,25")
    page.click("#pack-close")
    expect(page.locator(f"#pack-parcels li[data-sscc='{sscc}']")).to_have_attribute("data-label", "queued")
    expect(page.locator("#pack-done")).to_be_visible()
    shoot_settled(page, "packer-queued")

    ops = outbox(page)
    assert [op["type"] for op in ops] == ["OpenParcel", "PackItem", "PackItem", "PackItem", "CloseParcel"]
    assert ops[0]["payload"]["sscc"] == sscc and ops[-1]["payload"]["weight_g"] == 1250
    assert not page.evaluate("tally.count('outbox').then(() => document.querySelector('.label-preview') !== null)")

    context.set_offline(False)
    wait_until_sent(page)
    rows = tally_server.query("SELECT seq, op_id, status FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"])
    assert rows == [(op["seq"], op["op_id"], "applied") for op in ops]
    (parcel_id, parcel_status, weight), = tally_server.query("SELECT id, status, weight_g FROM parcels WHERE sscc = ?", sscc)
    assert (parcel_id, parcel_status, weight) == (ops[0]["payload"]["parcel_id"], "closed", 1250)
    assert status(tally_server, order) == "packed"
    # The label came from the server once its parcel was there.
    expect(page.locator(f"#pack-parcels li[data-sscc='{sscc}']")).to_have_attribute("data-label", "printed", timeout=15_000)
    expect(page.locator(f"#pack-parcels li[data-sscc='{sscc}'] img.label-preview")).to_be_visible()
    assert page.evaluate("document.querySelector('.label-preview').naturalWidth") > 0
    shoot_settled(page, "packer-printed")
