"""The supervisor pages in a real Chromium: sign-in, every page, escaping, CSRF, scoping, live devices, screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.web.world import XSS_NAME
from tests.web_browser.conftest import SCREENSHOTS, TABLET, PagesServer


class Watch:
    """Console errors (a CSP violation shows up there), page errors and dialogs seen by a page."""

    def __init__(self, page: Page) -> None:
        self.console: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def _dialog(self, dialog) -> None:  # noqa: ANN001
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.accept() if dialog.type == "confirm" else dialog.dismiss()


def sign_in(page: Page, server: PagesServer, username: str, password: str) -> None:
    page.goto(f"{server.url}/web/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack button.primary")
    page.wait_for_url(re.compile(r"/web/dashboard$"))


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def pages(server: PagesServer) -> list[tuple[str, str, str]]:
    """(screenshot name, path, a heading the page must show) for every page."""
    w = server.world
    return [
        ("dashboard", "/web/dashboard", "Сводка"),
        ("devices", "/web/devices/", "Устройства"),
        ("devices-enroll", "/web/devices/enroll", "Подключить устройство"),
        ("exceptions", "/web/exceptions/?status=all", "Исключения"),
        ("orders", "/web/orders/", "Заказы"),
        ("order", f"/web/orders/{w.order_a}", "История заказа"),
        ("order-script-named-customer", f"/web/orders/{w.xss_order}", "История заказа"),
        ("routes-and-cash", f"/web/routes/?day={w.day}", "Рейсы и касса"),
        ("route", f"/web/routes/{w.route_a}", "Рейс"),
        ("reports", "/web/reports/", "Отчёты"),
    ]


def test_sign_in_and_every_page_renders_with_no_csp_violation(page: Page, pages_server: PagesServer) -> None:
    watch = Watch(page)
    page.goto(f"{pages_server.url}/web/dashboard")
    expect(page).to_have_url(re.compile(r"/web/login\?next="))
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    shot(page, "login")
    sign_in(page, pages_server, "admin", "admin")
    for name, path, heading in pages(pages_server):
        response = page.goto(f"{pages_server.url}{path}")
        assert response is not None and response.status == 200, path
        expect(page.locator("h1, h2").filter(has_text=heading).first).to_be_visible()
        shot(page, name)
    assert watch.console == [] and watch.dialogs == []


def test_every_page_fits_a_tablet_in_english(browser: Browser, pages_server: PagesServer) -> None:
    context = browser.new_context(viewport=TABLET, locale="en-US", has_touch=True)
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, pages_server, "spb", "spb-supervisor")  # an English-speaking supervisor of SPB-1
    for name, path, _ in pages(pages_server):
        if "order" in name and "orders" not in name or name == "route":
            continue  # those are MSK-1's, not this supervisor's
        page.goto(f"{pages_server.url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        # Nothing but the wide tables may scroll sideways: the page itself fits the tablet.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        shot(page, f"{name}-tablet-en")
    assert watch.console == []
    context.close()


def test_a_customer_named_like_a_script_shows_as_text_and_runs_nothing(page: Page, pages_server: PagesServer) -> None:
    watch = Watch(page)
    sign_in(page, pages_server, "supervisor", "supervisor")
    page.goto(f"{pages_server.url}/web/orders/{pages_server.world.xss_order}")
    expect(page.locator("dd.customer")).to_contain_text(XSS_NAME)
    page.goto(f"{pages_server.url}/web/orders/?q=script")
    expect(page.locator("td.customer").filter(has_text=XSS_NAME)).to_be_visible()
    page.wait_for_timeout(300)
    assert watch.dialogs == [] and watch.console == []
    assert page.evaluate("document.querySelectorAll('main script').length") == 0


def test_a_form_posted_without_its_csrf_token_is_refused(page: Page, pages_server: PagesServer) -> None:
    sign_in(page, pages_server, "supervisor", "supervisor")
    page.goto(f"{pages_server.url}/web/devices/")
    row = page.locator("#device-rows tr", has_text="TC52-MSK")
    # What a forged form would lack: the hidden token.
    row.locator("input[name=csrf]").evaluate("input => input.remove()")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_response(re.compile(r"/revoke$")) as answer:
        row.get_by_role("button").click()
    assert answer.value.status == 403
    expect(page.locator("main")).to_contain_text("Форма устарела")
    assert pages_server.query("SELECT revoked_at FROM devices WHERE id = ?", pages_server.world.device_a) == [(None,)]


def test_a_supervisor_of_one_warehouse_cannot_open_anothers_by_url(page: Page, pages_server: PagesServer) -> None:
    sign_in(page, pages_server, "supervisor", "supervisor")  # MSK-1 only
    w = pages_server.world
    for path in (f"/web/orders/{w.order_b}", f"/web/routes/{w.route_b}", f"/web/routes/?day={w.day}&warehouse={w.wh_b}",
                 f"/web/devices/?warehouse={w.wh_b}"):  # fmt: skip
        response = page.goto(f"{pages_server.url}{path}")
        assert response is not None and response.status == 404, path
        expect(page.locator("main")).to_contain_text("Не найдено")
    shot(page, "not-found-other-warehouse")


def test_the_language_switch(page: Page, pages_server: PagesServer) -> None:
    sign_in(page, pages_server, "office", "office-person")
    page.goto(f"{pages_server.url}/web/orders/")
    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/web/orders/?$"))
    page.get_by_role("button", name="RU").click()
    expect(page.get_by_role("heading", name="Заказы")).to_be_visible()


def test_the_devices_table_refreshes_itself_when_a_device_syncs(page: Page, pages_server: PagesServer) -> None:
    sign_in(page, pages_server, "admin", "admin")
    page.goto(f"{pages_server.url}/web/devices/")
    expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"))
    pages_server.execute("UPDATE devices SET last_error = 'scanner disconnected', last_seen_at = datetime('now') WHERE id = ?",
                         pages_server.world.device_b)  # fmt: skip
    expect(page.locator("#device-rows")).to_contain_text("scanner disconnected", timeout=15_000)


def test_enrolling_a_device_shows_its_qr_code(page: Page, pages_server: PagesServer) -> None:
    sign_in(page, pages_server, "supervisor", "supervisor")
    page.goto(f"{pages_server.url}/web/devices/enroll")
    page.select_option("select[name=role]", "checker")
    page.click("form.stack button.primary")
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator("#enrollment-code")).to_have_text(re.compile(r"^[A-Z2-9]{5}-[A-Z2-9]{5}$"))
    box = page.locator(".qr svg").bounding_box()
    assert box is not None and box["width"] >= 200  # big enough to scan from the screen
    shot(page, "devices-enroll-code")


def test_revoking_asks_first_and_then_marks_the_device(page: Page, pages_server: PagesServer) -> None:
    watch = Watch(page)
    sign_in(page, pages_server, "spb", "spb-supervisor")
    page.goto(f"{pages_server.url}/web/devices/")
    page.locator("#device-rows tr", has_text="Phone-SPB").get_by_role("button").click()
    expect(page.locator(".flash.good")).to_be_visible()
    assert any(d.startswith("confirm: ") and "Phone-SPB" in d for d in watch.dialogs)
    assert pages_server.query("SELECT revoked_at IS NOT NULL FROM devices WHERE id = ?", pages_server.world.courier_device_b) == [(1,)]


@pytest.mark.parametrize("action", ["note"])
def test_resolving_an_exception_from_the_queue(page: Page, pages_server: PagesServer, action: str) -> None:
    sign_in(page, pages_server, "supervisor", "supervisor")
    page.goto(f"{pages_server.url}/web/exceptions/")
    card = page.locator(f"#exc-{pages_server.world.exc_a}")
    card.locator("select[name=action]").select_option(action)
    card.locator("input[name=note]").fill("позвонили кладовщику")
    card.get_by_role("button").click()
    expect(page.locator(".flash.good")).to_be_visible()
    expect(page.locator(f"#exc-{pages_server.world.exc_a} .note")).to_contain_text("позвонили кладовщику")
    shot(page, "exceptions-after-note")


def test_closing_a_cash_handover_with_a_note(page: Page, pages_server: PagesServer) -> None:
    watch = Watch(page)
    w = pages_server.world
    ((handover_id,),) = pages_server.query("SELECT id FROM cash_handovers WHERE courier_id = ?", w.courier_a)
    sign_in(page, pages_server, "supervisor", "supervisor")
    page.goto(f"{pages_server.url}/web/routes/?day={w.day}")
    row = page.locator(f"#handover-{handover_id}")
    row.locator("input[name=note]").fill("недостача 10 ₽ удержана")
    row.get_by_role("button", name="Закрыть сверку").click()
    expect(page.locator(".flash.good")).to_contain_text("Сверка закрыта")
    expect(page.locator(f"#handover-{handover_id}")).to_contain_text("недостача 10 ₽ удержана")
    expect(page.locator(f"#handover-{handover_id} form")).to_have_count(0)
    shot(page, "routes-and-cash-handover-closed")
    assert pages_server.query("SELECT status, closed_by FROM cash_handovers WHERE id = ?", handover_id) == [("closed", "user:supervisor")]
    assert watch.console == [] and watch.dialogs == []
