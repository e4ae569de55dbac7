"""Signing in to the supervisor pages: passwords, sessions, lockout, CSRF, and the headers on every page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from server.clock import now
from server.db.tables import SYNC, users, web_sessions
from server.usecases import users as accounts
from server.web.security import CSP
from sync.database import Database
from tests.web.world import WebWorld, form_token, sign_in, signed_in_token


async def test_a_password_is_stored_as_an_argon2id_hash_never_as_itself(db: Database, world: WebWorld) -> None:
    async with db.read() as conn:
        stored = (await conn.execute(select(users.c.password_hash).where(users.c.username == "spb"))).scalar_one()
    assert stored.startswith("$argon2id$") and world.passwords["spb"] not in stored


async def test_signing_in_sets_an_httponly_lax_session_cookie_for_the_pages_only(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    response = await sign_in(client, "supervisor", "supervisor")
    assert response.status_code == 303 and response.headers["location"] == "/web/dashboard"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("tally_session="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/web" in flags
    assert "secure" not in flags  # served over plain http here
    assert (await client.get("/web/dashboard")).status_code == 200


async def test_the_session_cookie_is_secure_when_served_over_https(browser_for, world: WebWorld) -> None:
    client = await browser_for(None, base_url="https://testserver")
    response = await sign_in(client, "supervisor", "supervisor")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("tally_session="))
    assert "secure" in cookie.lower()


async def test_a_wrong_password_opens_no_session(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    response = await sign_in(client, "supervisor", "not-the-password")
    assert response.status_code == 401
    assert "tally_session" not in response.cookies
    assert (await client.get("/web/dashboard")).status_code == 303


async def test_an_unknown_user_is_told_the_same_as_a_wrong_password(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    unknown = await sign_in(client, "nobody", "whatever")
    wrong = await sign_in(client, "supervisor", "whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert "Неверное имя пользователя или пароль" in unknown.text and "Неверное имя пользователя или пароль" in wrong.text


async def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for(None)
    for _ in range(accounts.MAX_FAILURES - 1):
        assert (await sign_in(client, "supervisor", "guess")).status_code == 401
    assert (await sign_in(client, "supervisor", "guess")).status_code == 429
    locked = await sign_in(client, "supervisor", "supervisor")
    assert locked.status_code == 429 and "tally_session" not in locked.cookies
    # When the lock has passed, the right password works again and the count starts over.
    async with db.write() as conn:
        await conn.execute(update(users).where(users.c.username == "supervisor").values(locked_until=now() - timedelta(seconds=1)))
    assert (await sign_in(client, "supervisor", "supervisor")).status_code == 303
    async with db.read() as conn:
        assert (await conn.execute(select(users.c.failed_logins).where(users.c.username == "supervisor"))).scalar_one() == 0


async def test_a_page_without_a_session_redirects_to_the_login_and_back(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    response = await client.get("/web/orders/?status=picked")
    assert response.status_code == 303
    assert response.headers["location"] == "/web/login?next=%2Fweb%2Forders%3Fstatus%3Dpicked"
    page = await client.get(response.headers["location"])
    signed = await client.post(
        "/web/login", data={"csrf": form_token(page.text), "username": "admin", "password": "admin", "next": "/web/orders/?status=picked"}
    )
    assert signed.headers["location"] == "/web/orders/?status=picked"


async def test_login_never_redirects_to_another_site(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    page = await client.get("/web/login")
    for target in ("https://evil.example/", "//evil.example/web/", "/\\evil.example", "/api/orders"):
        response = await client.post(
            "/web/login", data={"csrf": form_token(page.text), "username": "admin", "password": "admin", "next": target}
        )
        assert response.headers["location"] == "/web/dashboard", target


async def test_signing_out_ends_the_session_on_the_server(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    cookie = client.cookies["tally_session"]
    response = await client.post("/web/logout", data={"csrf": await signed_in_token(client)})
    assert response.status_code == 303
    assert await accounts.session_user(db, cookie) is None
    client.cookies.set("tally_session", cookie, domain="testserver.local", path="/web")  # replaying the old cookie does not help
    assert (await client.get("/web/dashboard")).status_code == 303


async def test_an_expired_session_is_refused(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    async with db.write() as conn:
        await conn.execute(update(web_sessions).values(expires_at=now() - timedelta(seconds=1)))
    assert (await client.get("/web/dashboard")).status_code == 303


async def test_the_login_form_is_refused_without_its_csrf_token(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    await client.get("/web/login")
    response = await client.post("/web/login", data={"username": "admin", "password": "admin"})
    assert response.status_code == 403 and "tally_session" not in response.cookies


async def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    for data in ({}, {"csrf": "forged"}):
        response = await client.post(f"/web/devices/{world.device_a}/revoke", data=data)
        assert response.status_code == 403
        assert "Форма устарела" in response.text
    async with db.read() as conn:
        revoked = (await conn.execute(select(SYNC.devices.c.revoked_at).where(SYNC.devices.c.id == world.device_a))).scalar_one()
    assert revoked is None
    response = await client.post(f"/web/exceptions/{world.exc_a}/resolve", data={"action": "accept"})
    assert response.status_code == 403


async def test_another_sessions_csrf_token_does_not_work(browser_for, world: WebWorld) -> None:
    mine = await browser_for("supervisor")
    theirs = await browser_for("admin")
    response = await mine.post(f"/web/devices/{world.device_a}/revoke", data={"csrf": await signed_in_token(theirs)})
    assert response.status_code == 403


async def test_every_page_carries_a_strict_content_security_policy(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    anonymous = await browser_for(None)
    responses = [await client.get(p) for p in ("/web/dashboard", "/web/orders/999999", "/web/static/web.css")]
    responses.append(await anonymous.get("/web/login"))
    responses.append(await client.post("/web/logout", data={}))  # refused: an error page
    for response in responses:
        assert response.headers["content-security-policy"] == CSP
        assert "unsafe-inline" not in CSP and "default-src 'self'" in CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert responses[0].headers["cache-control"] == "no-store"


async def test_no_page_has_inline_script_or_style(browser_for, world: WebWorld) -> None:
    client = await browser_for("admin")
    for path in ("/web/dashboard", "/web/devices/", "/web/exceptions/", "/web/orders/", f"/web/orders/{world.order_a}",
                 "/web/routes/", f"/web/routes/{world.route_a}", "/web/reports/", "/web/devices/enroll"):  # fmt: skip
        html = (await client.get(path)).text
        assert "<script>" not in html and " style=" not in html and "<style" not in html and " on" + "click=" not in html, path


async def test_the_language_switch_is_remembered_on_the_account(browser_for, db: Database, world: WebWorld) -> None:
    client = await browser_for("supervisor")
    assert "Сводка" in (await client.get("/web/dashboard")).text
    response = await client.post("/web/lang", data={"csrf": await signed_in_token(client), "locale": "en", "next": "/web/orders/"})
    assert response.status_code == 303 and response.headers["location"] == "/web/orders/"
    assert "Orders" in (await client.get("/web/orders/")).text
    async with db.read() as conn:
        assert (await conn.execute(select(users.c.locale).where(users.c.username == "supervisor"))).scalar_one() == "en"


async def test_the_login_page_speaks_the_browsers_language_until_asked(browser_for, world: WebWorld) -> None:
    client = await browser_for(None)
    assert "Sign in" in (await client.get("/web/login", headers={"accept-language": "en-GB,en;q=0.9"})).text
    page = await client.get("/web/login")
    assert "Вход" in page.text
    await client.post("/web/lang", data={"csrf": form_token(page.text), "locale": "en", "next": "/web/login"})
    assert "Sign in" in (await client.get("/web/login")).text


async def test_the_office_reads_the_pages_but_changes_nothing(browser_for, db: Database, world: WebWorld) -> None:
    office = await browser_for("office")
    page = (await office.get("/web/devices/")).text
    assert "/revoke" not in page and "/web/devices/enroll" not in page
    assert "/resolve" not in (await office.get("/web/exceptions/")).text
    token = await signed_in_token(office)
    assert (await office.post(f"/web/devices/{world.device_a}/revoke", data={"csrf": token})).status_code == 403
    assert (await office.post(f"/web/exceptions/{world.exc_a}/resolve", data={"csrf": token, "action": "accept"})).status_code == 403
    enroll = await office.post("/web/devices/enroll", data={"csrf": token, "role": "picker", "warehouse": str(world.wh_a)})
    assert enroll.status_code == 403
    async with db.read() as conn:
        assert (await conn.execute(select(SYNC.devices.c.revoked_at).where(SYNC.devices.c.id == world.device_a))).scalar_one() is None
