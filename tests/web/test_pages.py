"""Every page renders with demo-like data, data is always shown as text, and the page-specific bits work."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from urllib.parse import quote

import pytest
from sqlalchemy import update

from server.clock import now
from server.db.tables import SYNC
from server.reads import supervision as reads
from server.web.pages import devices as device_pages
from sync.database import Database
from tests.labels.decoding import decode, rasterize_svg_paths
from tests.web.world import XSS_NAME, WebWorld, signed_in_token


def pages(world: WebWorld) -> list[str]:
    return [
        "/web/dashboard", "/web/dashboard?hours=1", "/web/devices/", "/web/devices/?state=stale&role=picker",
        "/web/devices/enroll", "/web/exceptions/", "/web/exceptions/?status=all&kind=over_pick", "/web/orders/",
        "/web/orders/?status=confirmed&q=SO", f"/web/orders/{world.order_a}", f"/web/orders/{world.xss_order}",
        f"/web/routes/?day={world.day}", f"/web/routes/{world.route_a}", "/web/reports/",
    ]  # fmt: skip


@pytest.mark.parametrize("user", ["admin", "supervisor", "office"])
async def test_every_page_renders_for_each_kind_of_account(browser_for, world: WebWorld, user: str) -> None:
    client = await browser_for(user)
    for path in pages(world):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
        assert response.headers["content-type"].startswith("text/html")
        assert "<html" in response.text and "Tally" in response.text


async def test_every_page_renders_in_english_too(browser_for, world: WebWorld) -> None:
    client = await browser_for("spb")  # an English-speaking supervisor of B
    for path in ("/web/dashboard", "/web/devices/", "/web/exceptions/", "/web/orders/", f"/web/orders/{world.order_b}",
                 f"/web/routes/{world.route_b}", "/web/reports/"):  # fmt: skip
        response = await client.get(path)
        assert response.status_code == 200 and 'lang="en"' in response.text, path


async def test_a_customer_named_like_a_script_is_shown_as_text(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for path in (f"/web/orders/?q={quote('<script>')}", f"/web/orders/{world.xss_order}", f"/web/routes/{world.route_a}",
                 "/web/exceptions/", f"/web/orders/{world.order_a}"):  # fmt: skip
        html = (await client.get(path)).text
        assert escaped in html, path
        assert XSS_NAME not in html, path


async def test_the_order_page_shows_the_timeline_and_what_the_field_recorded(browser_for, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    html = (await client.get(f"/web/orders/{world.order_a}")).text
    for text in ("История заказа", "Комплектация", "damaged", "Проверка", "046012345000000017", "Подтверждение доставки",
                 "Оплата и счёт", "TC52-MSK", "Пётр Курьеров", "Phone-MSK", "55.755826, 37.617300", "R-77", "1\u00a0500,00\u00a0₽",
                 "2\u00a0000,00\u00a0₽", "СЧ-000001", "не оплачен"):  # fmt: skip
        assert text in html, text
    signature = re.search(r'src="(/web/orders/\d+/blobs/[0-9a-f]{64})"', html)
    assert signature, "the signature image is linked"
    image = await client.get(signature.group(1))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")


async def test_the_cash_reconciliation_shows_expected_collected_handed_over_and_the_difference(browser_for, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    html = (await client.get(f"/web/routes/?day={world.day}")).text
    row = re.search(r"<tr[^>]*><td>Пётр Курьеров</td>(.*?)</tr>", html, re.S).group(1)
    for text in ("1\u00a0500,00\u00a0₽", "1\u00a0490,00\u00a0₽", "-10,00\u00a0₽", "расхождение не закрыто"):
        assert text in row, text


async def test_a_blob_is_served_only_through_an_order_that_references_it(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    html = (await client.get(f"/web/orders/{world.order_a}")).text
    sha = re.search(r"/blobs/([0-9a-f]{64})", html).group(1)
    assert (await client.get(f"/web/orders/{world.order_b}/blobs/{sha}")).status_code == 404
    spb = await browser_for("spb")
    assert (await spb.get(f"/web/orders/{world.order_a}/blobs/{sha}")).status_code == 404


async def test_an_order_with_no_deliveries_says_so_instead_of_inventing_data(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    html = (await client.get(f"/web/orders/{world.xss_order}")).text
    assert "Подтверждений доставки пока нет" in html and "Платежей по заказу не записано" in html


async def test_enrolling_shows_a_one_time_code_and_its_qr_on_screen(browser_for, world: WebWorld, settings) -> None:
    client = await browser_for("supervisor")
    form = await client.get("/web/devices/enroll")
    response = await client.post(
        "/web/devices/enroll", data={"csrf": await signed_in_token(client, "/web/devices/enroll"), "role": "picker", "warehouse": str(world.wh_a)}
    )
    assert form.status_code == 200 and response.status_code == 200
    code = re.search(r'id="enrollment-code">([A-Z0-9-]+)<', response.text).group(1)
    svg = re.search(r"<svg xmlns.*?</svg>", response.text, re.S).group(0)
    decoded = decode(rasterize_svg_paths(svg.encode()))
    assert [d.text for d in decoded] == [f"{settings.public_url}/#enroll={quote(code)}"]


async def test_revoking_a_device_refuses_its_next_request(browser_for, client, db: Database, world: WebWorld) -> None:
    supervisor = await browser_for("supervisor")
    response = await supervisor.post(f"/web/devices/{world.device_a}/revoke", data={"csrf": await signed_in_token(supervisor)})
    assert response.status_code == 303 and response.headers["location"] == "/web/devices?done=revoked"
    page = (await supervisor.get("/web/devices?done=revoked")).text
    assert "Устройство отозвано" in page and "state-revoked" in page


async def test_device_filters_narrow_the_list(browser_for, world: WebWorld) -> None:
    admin = await browser_for("admin")
    stale = (await admin.get("/web/devices/?state=stale")).text
    assert "TC52-SPB" in stale and "TC52-MSK" not in stale
    couriers = (await admin.get("/web/devices/?role=courier")).text
    assert "Phone-SPB" in couriers and "TC52-SPB" not in couriers
    errors = (await admin.get("/web/devices/?state=error")).text
    assert "wrong_bin" in errors and "TC52-MSK" not in errors
    rows = await admin.get("/web/devices/rows?role=picker")
    assert rows.status_code == 200 and rows.text.lstrip().startswith("<tr") and "TC52-MSK" in rows.text


async def test_the_devices_stream_says_devices_when_a_device_syncs(browser_for, db: Database, world: WebWorld, monkeypatch) -> None:
    monkeypatch.setattr(device_pages, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(device_pages, "STREAM_SECONDS", 3.0)
    watching = asyncio.Event()
    signature = reads.device_signature

    async def first_look_then_signal(conn):  # noqa: ANN001, ANN202
        found = await signature(conn)
        watching.set()
        return found

    monkeypatch.setattr(reads, "device_signature", first_look_then_signal)
    client = await browser_for("supervisor")

    async def a_device_pulls() -> None:
        await watching.wait()  # the stream has seen the devices as they were
        async with db.write() as conn:
            await conn.execute(update(SYNC.devices).where(SYNC.devices.c.id == world.device_a).values(last_pull_at=now()))

    changer = asyncio.create_task(a_device_pulls())
    response = await client.get("/web/devices/stream")
    await changer
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: hello" in response.text and "event: devices" in response.text


async def test_reports_draw_charts_state_the_forecast_method_and_its_error(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    html = (await client.get("/web/reports/")).text
    assert html.count('<svg class="chart"') == 4
    assert "Заказы по дням и источникам" in html and "Производительность комплектовщиков" in html
    assert "MAPE" in html or "мало истории" in html
    assert "TC52-MSK" in html  # the picker with op-log rows


@pytest.mark.parametrize("name", ["orders_by_source", "revenue", "cycle_times", "productivity", "deliveries", "aging", "forecast"])
async def test_every_report_exports_as_csv(browser_for, world: WebWorld, name: str) -> None:
    client = await browser_for("supervisor")
    response = await client.get(f"/web/reports/csv/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="tally-{name}.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows)


async def test_a_csv_cell_that_looks_like_a_formula_is_defused(browser_for, db: Database, world: WebWorld) -> None:
    async with db.write() as conn:
        await conn.execute(update(SYNC.devices).where(SYNC.devices.c.id == world.device_a).values(name="=HYPERLINK(1)"))
    client = await browser_for("admin")
    text = (await client.get("/web/reports/csv/productivity")).text
    assert "'=HYPERLINK(1)" in text


async def test_orders_page_through_with_keyset_cursors(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    seen: list[str] = []
    path = "/web/orders/"
    for _ in range(10):
        html = (await client.get(path)).text
        seen += re.findall(r'<a href="/web/orders/(\d+)">', html)
        following = re.search(r'href="(/web/orders/?\?after=[^"]+)" rel="next"', html)
        if not following:
            break
        path = following.group(1).replace("&amp;", "&")
    assert len(seen) == len(set(seen)) == 61  # the demo's 60 and the script-named customer's
    assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)


async def test_a_malformed_filter_is_ignored_not_an_error(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    for path in ("/web/orders/?warehouse=abc&from=yesterday&status=nope", "/web/dashboard?hours=NaN", "/web/reports/?from=2026-13-45",
                 "/web/routes/?day=tomorrow", "/web/exceptions/?status=maybe"):  # fmt: skip
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/web/orders/?after=not-a-cursor")).status_code == 422
