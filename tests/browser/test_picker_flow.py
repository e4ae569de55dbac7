"""A picker works a pick list offline, bin by bin: wrong scans are refused on the device, the ops
survive a reload and reach the server exactly once, and the server's record matches the screen."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.floor import confirmed_order, pick_list, shoot_settled, status, stocked_products
from tests.browser.handheld import GS, enroll, outbox, poll, scan, wait_for_service_worker, wait_until_sent
from tests.browser.test_picker_offline import RECORD_VIBRATIONS


def _refused(page: Page, title: str) -> None:
    """The loud refusal is on screen with its reason; dismiss it."""
    box = page.locator("#verdict .verdict-box.refused")
    expect(box).to_be_visible()
    expect(box).to_contain_text(title)
    assert page.evaluate("tally.feedback.at(-1)") == "refused"
    assert page.evaluate("window.__vibrations.at(-1)") == [250, 100, 250, 100, 250]
    page.click("#verdict button")


def _on_line(page: Page, lines: dict[int, dict]) -> dict:
    page.wait_for_selector("#pick-line")
    return lines[int(page.get_attribute("#pick-line", "data-line"))]


def test_a_picker_works_a_list_offline_with_wedge_scans_and_the_server_gets_each_op_once(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    (sku_a, ean_a, _), (sku_b, ean_b, _), (_, ean_other, other_name) = stocked_products(tally_server, 3, skip=0)
    order = confirmed_order(tally_server, [(sku_a, 3), (sku_b, 1)])
    doc = pick_list(tally_server, [order])
    lines = {li["id"]: li for li in doc["lines"]}
    codes = {sku_a: ean_a, sku_b: ean_b}
    page.add_init_script(RECORD_VIBRATIONS)
    device = enroll(page, tally_server, "picker", "Picker-lists")
    wait_for_service_worker(page)

    context.set_offline(True)
    page.click("#tile-picker")
    page.wait_for_selector(f"#pick-lists [data-list='{doc['id']}']")
    shoot_settled(page, "picker-lists")
    page.click(f"#pick-lists [data-list='{doc['id']}']")
    page.wait_for_selector("#pick-claim")
    shoot_settled(page, "picker-claim")
    page.click("#pick-claim")
    line = _on_line(page, lines)
    expect(page.locator("#pick-prompt")).to_contain_text(line["location_code"])
    shoot_settled(page, "picker-bin")

    # The wrong bin, then an item before the bin: both refused, nothing recorded.
    (wrong_bin,) = [code for code, _ in tally_server.bins(5) if code != line["location_barcode"]][:1]
    scan(page, wrong_bin)
    _refused(page, "Wrong bin")
    scan(page, codes[line["sku"]])
    _refused(page, "Scan the bin first")
    scan(page, line["location_barcode"])
    expect(page.locator("#pick-line.bin-ok")).to_be_visible()
    expect(page.locator("#pick-prompt")).to_have_text("Scan the item")
    shoot_settled(page, "picker-item")

    # A wrong item: refused with no network, named, not recorded.
    scan(page, ean_other)
    box = page.locator("#verdict .verdict-box.refused")
    expect(box).to_contain_text(ean_other)
    shoot_settled(page, "picker-wrong-item")
    _refused(page, "Wrong item")
    assert [op["type"] for op in outbox(page)] == ["ClaimPickList"]

    # Walk every line: the first with a quantity of two, then an over-pick, then a GS1-128 scan.
    walked = 0
    while page.locator("#pick-line").count():
        line = _on_line(page, lines)
        if page.locator("#pick-line.bin-ok").count() == 0:
            scan(page, line["location_barcode"])
            expect(page.locator("#pick-line.bin-ok")).to_be_visible()
        code = codes[line["sku"]]
        if line["quantity"] == 3:
            page.fill("#pick-qty", "2")
            page.press("#pick-qty", "Enter")
            scan(page, code)
            expect(page.locator("#pick-remaining")).to_have_text("1")
            page.fill("#pick-qty", "2")
            page.press("#pick-qty", "Enter")
            scan(page, code)
            _refused(page, "over-pick")
            expect(page.locator("#pick-remaining")).to_have_text("1")
            page.fill("#pick-qty", "1")
            page.press("#pick-qty", "Enter")
            scan(page, f"]C101{code.zfill(14)}10LOT9{GS}17301231")
        else:
            scan(page, code)
        page.wait_for_function(f"!document.querySelector('#pick-line[data-line=\"{line['id']}\"]')")
        # The next line, or the end of the list, is drawn after the old line goes: wait for one of them.
        page.wait_for_function("document.querySelector('#pick-line') || document.querySelector('#pick-done')")
        walked += 1
    assert walked == 2
    expect(page.locator("#pick-done")).to_be_visible()
    shoot_settled(page, "picker-done")

    ops = outbox(page)
    assert [op["type"] for op in ops] == ["ClaimPickList", "PickItem", "PickItem", "PickItem"]
    assert [op["seq"] for op in ops] == [1, 2, 3, 4]
    assert sorted(op["payload"]["quantity"] for op in ops[1:]) == [1, 1, 2]
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ?", device["device_id"]) == [(0,)]

    # Reload offline: the shell comes from the service worker, the outbox and the progress are intact.
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert outbox(page) == ops
    expect(page.locator("#pick-done")).to_be_visible()
    expect(page.locator("#pending")).to_have_attribute("data-count", "4")

    # Online: the server holds every op exactly once and the picks it records.
    context.set_offline(False)
    wait_until_sent(page)
    rows = tally_server.query("SELECT seq, op_id, type, status FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"])
    assert rows == [(op["seq"], op["op_id"], op["type"], "applied") for op in ops]
    picked = tally_server.query("SELECT id, picked, shorted FROM pick_lines WHERE pick_list_id = ? ORDER BY id", doc["id"])
    assert picked == [(li["id"], li["quantity"], 0) for li in sorted(doc["lines"], key=lambda li: li["id"])]
    assert status(tally_server, order) == "picked"
    assert tally_server.query("SELECT status FROM pick_lists WHERE id = ?", doc["id"]) == [("done",)]
    page.evaluate("tally.syncNow()")
    poll(page, "tally.status().then((s) => !s.syncing)", True)
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ?", device["device_id"]) == [(4,)]
    # The finished list left the device's scope with the pull.
    poll(page, f"import('/js/replica.js').then((m) => m.listKind('pick_list')).then((ls) => ls.some((l) => l.id === {doc['id']}))", False)



def test_a_warehouse_device_shorts_a_line_with_a_reason_and_releases_a_list_offline(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    (sku_a, ean_a, _), (sku_b, _, _) = stocked_products(tally_server, 2, skip=16)
    short_order = confirmed_order(tally_server, [(sku_a, 3)])
    short_list = pick_list(tally_server, [short_order])
    (line,) = short_list["lines"]
    released = pick_list(tally_server, [confirmed_order(tally_server, [(sku_b, 1)])])
    device = enroll(page, tally_server, "warehouse", "Warehouse-1")  # a device for every warehouse job
    wait_for_service_worker(page)
    for tile in ("picker", "checker", "packer", "loader"):
        expect(page.locator(f"#tile-{tile}")).to_be_visible()
    shoot_settled(page, "home-warehouse")
    context.set_offline(True)

    # Claimed, then released for someone else: back in the list, not this device's any more.
    page.goto(f"{tally_server.url}/#/picker/{released['id']}")
    page.click("#pick-claim")
    page.click("#pick-release")
    page.wait_for_selector(f"#pick-lists [data-list='{released['id']}']")
    expect(page.locator(f"#pick-lists [data-list='{released['id']}'] .badge")).to_have_count(0)

    # Two of three units are not there: shorted with a reason; the third is picked.
    page.goto(f"{tally_server.url}/#/picker/{short_list['id']}")
    page.click("#pick-claim")
    page.click("#pick-short")
    expect(page.locator("#short-qty")).to_have_value("3")
    shoot_settled(page, "picker-short")
    page.click("#short-qty-minus")
    page.click("#short-bin_empty")
    expect(page.locator("#pick-remaining")).to_have_text("1")
    scan(page, line["location_barcode"])
    expect(page.locator("#pick-line.bin-ok")).to_be_visible()
    scan(page, ean_a)
    expect(page.locator("#pick-done")).to_be_visible()
    assert [(op["type"], op["payload"]) for op in outbox(page)] == [
        ("ClaimPickList", {"pick_list_id": released["id"]}),
        ("ReleasePickList", {"pick_list_id": released["id"]}),
        ("ClaimPickList", {"pick_list_id": short_list["id"]}),
        ("ShortPick", {"pick_line_id": line["id"], "quantity": 2, "reason": "bin_empty"}),
        ("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": ean_a, "quantity": 1}),
    ]

    context.set_offline(False)
    wait_until_sent(page)
    assert tally_server.query("SELECT status FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"]) == [("applied",)] * 5
    assert tally_server.query("SELECT picked, shorted, short_reason FROM pick_lines WHERE id = ?", line["id"]) == [(1, 2, "bin_empty")]
    assert tally_server.query("SELECT count(*) FROM exceptions WHERE kind = 'short_pick' AND order_id = ?", short_order) == [(1,)]
    assert status(tally_server, short_order) == "picked"
    assert tally_server.query("SELECT claimed_by FROM pick_lists WHERE id = ?", released["id"]) == [(None,)]
