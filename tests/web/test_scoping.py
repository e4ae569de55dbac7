"""A supervisor bound to warehouse A sees A only: lists leave B out, and B's things by direct URL are
answered exactly like things that do not exist (404), without any change made."""

from __future__ import annotations

from sqlalchemy import select

from server.db.tables import SYNC, exceptions
from sync.database import Database
from tests.web.world import XSS_NAME, WebWorld, signed_in_token


async def test_a_supervisor_of_a_cannot_open_bs_pages_by_direct_url(browser_for, world: WebWorld) -> None:
    a = await browser_for("supervisor")  # bound to MSK-1 (warehouse A)
    for path in (
        f"/web/orders/{world.order_b}",
        f"/web/routes/{world.route_b}",
        f"/web/routes/?day={world.day}&warehouse={world.wh_b}",  # B's routes and cash
        f"/web/devices/?warehouse={world.wh_b}",
        f"/web/orders/?warehouse={world.wh_b}",
        f"/web/exceptions/?warehouse={world.wh_b}",
        f"/web/dashboard?warehouse={world.wh_b}",
        f"/web/reports/?warehouse={world.wh_b}",
        f"/web/reports/csv/revenue?warehouse={world.wh_b}",
    ):
        response = await a.get(path)
        assert response.status_code == 404, path
        assert "Ivan Courier" not in response.text and "TC52-SPB" not in response.text


async def test_the_same_urls_open_for_bs_own_supervisor_and_for_an_admin(browser_for, world: WebWorld) -> None:
    for user in ("spb", "admin"):
        client = await browser_for(user)
        assert (await client.get(f"/web/orders/{world.order_b}")).status_code == 200, user
        route = await client.get(f"/web/routes/{world.route_b}")
        assert route.status_code == 200 and "Ivan Courier" in route.text
        cash = await client.get(f"/web/routes/?day={world.day}&warehouse={world.wh_b}")
        assert cash.status_code == 200 and "Ivan Courier" in cash.text


async def test_lists_show_a_supervisor_only_their_warehouse(browser_for, world: WebWorld) -> None:
    a = await browser_for("supervisor")
    devices = (await a.get("/web/devices/")).text
    assert "TC52-MSK" in devices and "TC52-SPB" not in devices and "Phone-SPB" not in devices
    queue = (await a.get("/web/exceptions/?status=all")).text
    assert f'id="exc-{world.exc_a}"' in queue
    assert f'id="exc-{world.exc_b}"' not in queue and f'id="exc-{world.exc_device_b}"' not in queue
    board = (await a.get(f"/web/routes/?day={world.day}")).text
    assert "Пётр Курьеров" in board and "Ivan Courier" not in board
    orders = (await a.get("/web/orders/")).text
    assert "SPB-1" not in orders
    dashboard = (await a.get("/web/dashboard")).text
    assert "MSK-1" in dashboard and "SPB-1" not in dashboard and "TC52-SPB" not in dashboard


async def test_an_exception_known_only_by_its_device_belongs_to_the_devices_warehouse(browser_for, world: WebWorld) -> None:
    b = await browser_for("spb")
    queue = (await b.get("/web/exceptions/")).text
    assert f'id="exc-{world.exc_device_b}"' in queue and f'id="exc-{world.exc_b}"' in queue
    assert f'id="exc-{world.exc_a}"' not in queue
    assert "&lt;script&gt;" in queue and XSS_NAME not in queue  # the device name in the detail is text


async def test_a_supervisor_of_a_cannot_revoke_bs_device(browser_for, db: Database, world: WebWorld) -> None:
    a = await browser_for("supervisor")
    token = await signed_in_token(a)
    for device in (world.device_b, world.courier_device_b, "no-such-device"):
        response = await a.post(f"/web/devices/{device}/revoke", data={"csrf": token})
        assert response.status_code == 404, device
    async with db.read() as conn:
        revoked = (await conn.execute(select(SYNC.devices.c.id).where(SYNC.devices.c.revoked_at.is_not(None)))).all()
    assert revoked == []


async def test_a_supervisor_of_a_cannot_resolve_bs_exception(browser_for, db: Database, world: WebWorld) -> None:
    a = await browser_for("supervisor")
    token = await signed_in_token(a)
    for exception_id in (world.exc_b, world.exc_device_b):
        response = await a.post(f"/web/exceptions/{exception_id}/resolve", data={"csrf": token, "action": "accept"})
        assert response.status_code == 404
    async with db.read() as conn:
        assert (await conn.execute(select(exceptions.c.status).where(exceptions.c.id == world.exc_b))).scalar_one() == "open"


async def test_a_supervisor_of_a_cannot_enroll_a_device_for_b(browser_for, db: Database, world: WebWorld) -> None:
    async def codes() -> int:
        async with db.read() as conn:
            return len((await conn.execute(select(SYNC.enrollments.c.code_hash))).all())

    before = await codes()
    a = await browser_for("supervisor")
    token = await signed_in_token(a)
    for form in ({"role": "picker", "warehouse": str(world.wh_b)}, {"role": "courier", "courier": str(world.courier_b)}):
        response = await a.post("/web/devices/enroll", data={"csrf": token, **form})
        assert response.status_code == 422 and "enrollment-code" not in response.text
    assert await codes() == before
