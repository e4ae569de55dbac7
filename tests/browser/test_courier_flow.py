"""A courier works a route offline: door scans (a parcel of another stop refused on the phone), a
delivery with a drawn signature and cash, a failed stop with a reason; a reload keeps it all; back
online the server holds each fact once and the proof of delivery shows the very signature drawn.
And the end-of-shift cash handover."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re

import httpx
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import TallyServer
from tests.browser.courier_day import a_courier_day
from tests.browser.handheld import enroll, outbox, poll, scan, shoot, wait_for_service_worker, wait_until_sent

# The bytes of a blob the phone keeps, read straight from its IndexedDB (db.js's `blobs` store).
DEVICE_BLOB = """(sha) => new Promise((resolve, reject) => {
  const open = indexedDB.open('tally');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const req = open.result.transaction('blobs').objectStore('blobs').get(sha);
    req.onsuccess = () => { const b = req.result; open.result.close();
      resolve(b && { type: b.content_type, bytes: Array.from(new Uint8Array(b.data.buffer || b.data, b.data.byteOffset || 0, b.data.byteLength)) }); };
    req.onerror = () => reject(req.error);
  };
})"""


# Controls on the screen smaller than a thumb (48 px). A checkbox counts by its label, which is the target.
SMALL_TARGETS = """() => [...document.querySelectorAll('#screen :is(a, button, input, select, textarea, canvas)')]
  .map((el) => (el.type === 'checkbox' ? el.closest('label') : el))
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.id || el.textContent.trim().slice(0, 20), el.getBoundingClientRect().height])
  .filter(([, height]) => height < 48)"""


def screen(page: Page, name: str) -> None:
    page.wait_for_function(f"document.body.dataset.screen === '{name}'")


def shoot_narrow(page: Page, name: str, *, at: str | None = None) -> None:
    """Screenshots at both phone sizes (scrolled to the top, or to `at`); at 360 px nothing may
    stick out sideways."""
    if "refused" not in name:
        page.wait_for_selector("#verdict", state="hidden")  # the short green flash is gone
    if at:
        page.locator(at).evaluate("(el) => el.scrollIntoView({ block: 'center' })")
    else:
        page.evaluate("window.scrollTo(0, 0)")
    shoot(page, name, [(360, 640), (390, 844)])
    page.set_viewport_size({"width": 360, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name} is wider than 360 px"
    assert page.evaluate(SMALL_TARGETS) == [], f"{name}: touch targets under 48 px"
    page.set_viewport_size({"width": 390, "height": 844})


def sign(page: Page) -> None:
    """Draw a signature over the canvas with the mouse (pointer events)."""
    page.locator("#signature").evaluate("(c) => c.scrollIntoView({ block: 'center' })")  # clear of the fixed bars
    box = page.locator("#signature").bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.1 * w, y + 0.7 * h)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + (0.1 + 0.065 * i) * w, y + (0.7 - 0.4 * (i % 2)) * h, steps=3)
    page.mouse.up()
    page.mouse.move(x + 0.2 * w, y + 0.85 * h)
    page.mouse.down()
    page.mouse.move(x + 0.85 * w, y + 0.8 * h, steps=8)
    page.mouse.up()


def shoot_russian(page: Page, name: str) -> None:
    """The same screen in Russian (the language switch re-renders it), then back to English."""
    page.click("#lang")
    page.wait_for_function("document.documentElement.lang === 'ru'")
    shoot_narrow(page, name)
    page.click("#lang")
    page.wait_for_function("document.documentElement.lang === 'en'")


def a_jpeg() -> bytes:
    """A small photo as a phone camera would hand the file input."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def rub(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def test_courier_delivers_and_fails_stops_offline_and_the_server_keeps_the_same_signature_once(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    day = a_courier_day(tally_server, "Courier offline", [2, 1])
    first, second = day.stops
    device = enroll(page, tally_server, "courier", "Courier phone", courier_id=day.courier_id)
    wait_for_service_worker(page)

    context.set_offline(True)
    page.click("#nav-routes")
    screen(page, "routes")
    expect(page.locator("li.stop")).to_have_count(2)
    expect(page.locator("li.stop[data-state='todo']")).to_have_count(2)
    shoot_narrow(page, "courier-01-routes")

    # Stop 1: the door scan. The other stop's parcel is refused on the phone, loudly.
    page.click(f"li.stop[data-stop='{first.stop_no}'] a.stop-main")
    screen(page, "stop")
    expect(page.locator("#door-count")).to_have_attribute("data-total", "2")
    shoot_narrow(page, "courier-02-stop")
    scan(page, f"00{second.ssccs[0]}")
    refusal = page.locator("#verdict .verdict-box.refused")
    expect(refusal).to_contain_text("Parcel of another stop")
    assert page.evaluate("tally.feedback.at(-1)") == "refused"
    shoot_narrow(page, "courier-03-door-refused")
    page.click("#verdict button")
    scan(page, f"]C100{first.ssccs[0]}")  # GS1-128 with its symbology identifier
    scan(page, first.ssccs[1])  # the 18 digits alone
    expect(page.locator("#door-parcels li.is-scanned")).to_have_count(2)
    expect(page.locator("#door-count")).to_contain_text("Scanned 2 of 2")
    page.wait_for_selector("#verdict", state="hidden")
    shoot_narrow(page, "courier-04-door-scanned", at="#door-parcels")

    # Delivered: the recipient's name, a drawn signature, cash with change.
    page.click("#stop-delivered")
    screen(page, "deliver")
    expect(page.locator("#pay-due")).to_have_attribute("data-minor", str(first.total))
    tendered = (first.total // 100_000 + 1) * 100_000  # the next 1000 ₽ note
    page.fill("#deliver-name", "Анна Иванова")
    sign(page)
    page.fill("#cash-tendered", rub(tendered))
    expect(page.locator("#cash-change")).to_have_attribute("data-change", str(tendered - first.total))
    shoot_narrow(page, "courier-05-deliver-signed-cash")
    page.click("#deliver-submit")
    screen(page, "routes")
    expect(page.locator(f"li.stop[data-stop='{first.stop_no}']")).to_have_attribute("data-state", "delivered")
    expect(page.locator("#cash-on-hand")).to_have_attribute("data-amounts", f'{{"RUB":{first.total}}}')
    # Back to the form (the phone's back button): the stop is done, it cannot be delivered twice.
    page.go_back()
    screen(page, "deliver")
    expect(page.locator("#stop-done")).to_be_visible()
    expect(page.locator("#deliver-form")).to_have_count(0)
    page.click("#nav-routes")
    screen(page, "routes")

    # Stop 2: nobody home.
    page.click(f"li.stop[data-stop='{second.stop_no}'] a.stop-main")
    screen(page, "stop")
    page.click("#stop-failed")
    screen(page, "deliver")
    page.click("#deliver-submit")  # no reason chosen: refused on the form
    expect(page.locator("#deliver-error")).to_contain_text("Choose why")
    page.select_option("#fail-reason", "absent")
    page.fill("#fail-note", "Домофон не отвечает")
    shoot_narrow(page, "courier-06-failed-reason")
    page.click("#deliver-submit")
    screen(page, "routes")
    expect(page.locator(f"li.stop[data-stop='{second.stop_no}']")).to_have_attribute("data-state", "failed")
    shoot_narrow(page, "courier-07-routes-after")

    ops = outbox(page)
    assert [(op["seq"], op["type"]) for op in ops] == [(1, "RecordDelivery"), (2, "TakePayment"), (3, "RecordDelivery")]
    delivered, payment, failed = (op["payload"] for op in ops)
    assert delivered["outcome"] == "delivered" and delivered["order_id"] == first.order_id and delivered["route_id"] == day.route_id
    assert delivered["parcels"] == first.ssccs and delivered["recipient_name"] == "Анна Иванова"
    assert ops[0]["blobs"] == [delivered["signature_png"], delivered["signature_strokes"]]
    assert payment == {**payment, "method": "cash", "amount": first.total, "currency": "RUB", "tendered": tendered,
                       "change_given": tendered - first.total, "order_id": first.order_id}  # fmt: skip
    assert failed == {**failed, "outcome": "failed", "failure_reason": "absent", "order_id": second.order_id, "parcels": []}
    png = page.evaluate(DEVICE_BLOB, delivered["signature_png"])
    signature = bytes(png["bytes"])
    assert png["type"] == "image/png" and signature.startswith(b"\x89PNG")
    assert hashlib.sha256(signature).hexdigest() == delivered["signature_png"]
    assert len(signature) > 1000  # strokes were drawn, not a blank canvas
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ?", device["device_id"]) == [(0,)]

    # Reload offline: the page comes from the service worker; the outbox and the blobs are intact.
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert outbox(page) == ops
    assert bytes(page.evaluate(DEVICE_BLOB, delivered["signature_png"])["bytes"]) == signature
    expect(page.locator("#pending")).to_have_attribute("data-count", "3")

    # Back online: each fact once, and the proof of delivery holds the signature drawn on the phone.
    context.set_offline(False)
    wait_until_sent(page)
    page.evaluate("tally.syncNow()")
    rows = tally_server.query("SELECT seq, op_id, status FROM op_log WHERE device_id = ? ORDER BY seq", device["device_id"])
    assert rows == [(op["seq"], op["op_id"], "applied") for op in ops]
    assert tally_server.query("SELECT order_id, outcome, signature_png FROM deliveries WHERE id = ?", delivered["delivery_id"]) == [
        (first.order_id, "delivered", delivered["signature_png"])]
    assert tally_server.query("SELECT count(*) FROM deliveries WHERE order_id IN (?, ?)", first.order_id, second.order_id) == [(2,)]
    assert tally_server.query("SELECT failure_reason FROM deliveries WHERE id = ?", failed["delivery_id"]) == [("absent",)]
    assert tally_server.query("SELECT amount, method, tendered, change_given FROM payments WHERE order_id = ?", first.order_id) == [
        (first.total, "cash", tendered, tendered - first.total)]
    answer = httpx.get(f"{tally_server.url}/api/documents/orders/{first.order_id}/proof-of-delivery?format=html",
                       headers={"Authorization": f"Bearer {tally_server.admin_token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    proof = answer.text
    images = [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', proof)]
    assert signature in images, proof[:3000]
    assert "Анна Иванова" in proof
    # The phone lets go of the signature once the server holds it and no unsent op needs it.
    poll(page, "tally.count('blobs')", 0)

    # The server's own route doc now says what the phone showed.
    poll(page, "import('/js/replica.js').then((r) => r.getEntity('route', %d)).then((x) => x.stops.map((s) => s.outcome))"
         % day.route_id, ["delivered", "failed"])  # fmt: skip


def test_courier_hands_over_the_cash_taken_and_the_server_keeps_the_difference(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    day = a_courier_day(tally_server, "Courier handover", [1])
    (stop,) = day.stops
    device = enroll(page, tally_server, "courier", "Courier handover phone", courier_id=day.courier_id)
    wait_for_service_worker(page)
    context.set_offline(True)
    page.goto(f"{tally_server.url}/#/stop/{day.route_id}/{stop.stop_no}")
    screen(page, "stop")
    scan(page, stop.ssccs[0])
    expect(page.locator("#door-parcels li.is-scanned")).to_have_count(1)
    page.click("#stop-delivered")
    screen(page, "deliver")
    page.fill("#deliver-name", "Пётр Петров")
    sign(page)
    photo = a_jpeg()
    page.set_input_files("#deliver-photo", files=[{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.fill("#cash-tendered", rub(stop.total))
    expect(page.locator("#cash-change")).to_have_attribute("data-change", "0")
    page.click("#deliver-submit")
    screen(page, "routes")

    shoot_russian(page, "courier-01-routes-ru")
    page.click("#go-handover")
    screen(page, "handover")
    shoot_russian(page, "courier-08-handover-ru")
    expect(page.locator("#handover-expected")).to_have_attribute("data-minor", str(stop.total))
    short = stop.total - 5_000  # 50 ₽ short
    page.fill("#handover-counted", rub(short))
    expect(page.locator("#handover-diff")).to_contain_text("Short by")
    page.fill("#handover-cashier", "Кассир Смирнова")
    shoot_narrow(page, "courier-08-handover")
    page.click("#handover-submit")
    expect(page.locator("#handover-done")).to_have_attribute("data-counted", str(short))
    expect(page.locator("#handover-expected")).to_have_attribute("data-minor", "0")
    shoot_narrow(page, "courier-09-handover-done")
    handover = outbox(page)[-1]
    delivery = outbox(page)[0]["payload"]
    assert delivery["photos"] == [hashlib.sha256(photo).hexdigest()]
    assert handover["type"] == "HandOverCash"
    assert handover["payload"] == {**handover["payload"], "courier_id": day.courier_id, "counted": short, "currency": "RUB",
                                   "cashier": "Кассир Смирнова"}  # fmt: skip

    context.set_offline(False)
    wait_until_sent(page)
    assert tally_server.query("SELECT expected, counted, difference, counted_by FROM cash_handovers WHERE id = ?",
                              handover["payload"]["handover_id"]) == [(stop.total, short, -5_000, "Кассир Смирнова")]  # fmt: skip
    assert tally_server.query("SELECT count(*) FROM payments WHERE order_id = ? AND handover_id = ?", stop.order_id,
                              handover["payload"]["handover_id"]) == [(1,)]  # fmt: skip
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ? AND status = 'applied'", device["device_id"]) == [(3,)]
    # The photo taken at the door reached the server byte for byte.
    (photos,), = tally_server.query("SELECT photos FROM deliveries WHERE id = ?", delivery["delivery_id"])
    assert json.loads(photos) == delivery["photos"]
    assert tally_server.query("SELECT data FROM blobs WHERE sha256 = ?", delivery["photos"][0]) == [(photo,)]


def test_a_partial_delivery_refuses_the_unscanned_parcel_and_takes_only_what_is_kept(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    day = a_courier_day(tally_server, "Courier partial", [2])
    (stop,) = day.stops
    (kept_pid, kept_qty, kept_price), (refused_pid, refused_qty, _) = stop.lines
    device = enroll(page, tally_server, "courier", "Courier partial phone", courier_id=day.courier_id)
    wait_for_service_worker(page)
    context.grant_permissions(["geolocation"], origin=tally_server.url)
    context.set_geolocation({"latitude": 55.755826, "longitude": 37.6173, "accuracy": 12})  # where the door is
    context.set_offline(True)
    page.goto(f"{tally_server.url}/#/stop/{day.route_id}/{stop.stop_no}")
    screen(page, "stop")
    scan(page, stop.ssccs[0])  # only the first parcel is handed over
    expect(page.locator("#door-parcels li.is-scanned")).to_have_count(1)
    shoot_russian(page, "courier-02-stop-ru")
    expect(page.locator("#door-parcels li.is-scanned")).to_have_count(1)  # the visit's scans survive a re-render
    page.click("#stop-partial")
    screen(page, "deliver")
    shoot_russian(page, "courier-10-partial-ru")
    expect(page.locator(f"#refuse-{stop.ssccs[1]}")).to_be_checked()  # what was not scanned is what was refused
    expect(page.locator(f"#refuse-{stop.ssccs[0]}")).not_to_be_checked()
    due = kept_qty * kept_price
    expect(page.locator("#pay-due")).to_have_attribute("data-minor", str(due))
    page.fill("#deliver-name", "Анна Иванова")
    sign(page)
    page.fill("#cash-tendered", rub(due))
    page.click("#deliver-submit")  # no reason yet
    expect(page.locator("#deliver-error")).to_contain_text("Choose why the parcels")
    page.select_option("#refuse-reason", "damaged")
    shoot_narrow(page, "courier-10-partial")
    page.click("#deliver-submit")
    screen(page, "routes")
    expect(page.locator(f"li.stop[data-stop='{stop.stop_no}']")).to_have_attribute("data-state", "partial")
    delivery, payment = (op["payload"] for op in outbox(page))
    assert delivery["outcome"] == "partial" and delivery["parcels"] == [stop.ssccs[0]]
    assert (delivery["lat_e6"], delivery["lon_e6"], delivery["accuracy_m"]) == (55_755_826, 37_617_300, 12)  # integer microdegrees
    assert delivery["refused"] == [{"product_id": refused_pid, "quantity": refused_qty, "reason": "damaged"}]
    assert payment["amount"] == due and payment["tendered"] == due and payment["change_given"] == 0

    context.set_offline(False)
    wait_until_sent(page)
    assert tally_server.query("SELECT outcome FROM deliveries WHERE id = ?", delivery["delivery_id"]) == [("partial",)]
    assert tally_server.query("SELECT sscc, status FROM parcels WHERE order_id = ? ORDER BY sscc", stop.order_id) == sorted(
        [(stop.ssccs[0], "delivered"), (stop.ssccs[1], "refused")])
    assert tally_server.query("SELECT amount FROM payments WHERE order_id = ?", stop.order_id) == [(due,)]
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ? AND status = 'applied'", device["device_id"]) == [(2,)]


def test_two_renders_of_a_screen_at_once_draw_it_once(page: Page, tally_server: TallyServer) -> None:
    """The stop screen reads the route before it draws; two renders racing (two quick language
    switches) once drew its content twice."""
    day = a_courier_day(tally_server, "Courier render", [1])
    (stop,) = day.stops
    enroll(page, tally_server, "courier", "Courier render phone", courier_id=day.courier_id)
    page.goto(f"{tally_server.url}/#/stop/{day.route_id}/{stop.stop_no}")
    screen(page, "stop")
    elements = "document.querySelectorAll('#screen *').length"
    page.wait_for_timeout(500)
    alone = page.evaluate(elements)
    page.evaluate("window.dispatchEvent(new Event('langchange')); window.dispatchEvent(new Event('langchange'));")
    page.wait_for_timeout(1000)
    assert page.evaluate(elements) == alone
    assert page.locator("#screen h1").count() == 1
