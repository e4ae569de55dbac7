"""Secrets stay out of the logs, and the pages' cookies follow the Settings.

The log test captures every record the application writes (every logger at INFO, Tally's own at
DEBUG) through a run with an enrollment, a failed and a good sign-in, a revoked token, and a
courier's delivery with a signature, then searches the records for each secret in every form it
travels in."""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from msgspec.structs import replace
from sqlalchemy import select

from server.app import attach_database, create_app
from server.db.tables import SYNC
from server.usecases.devices import digest
from server.settings import Settings
from server.usecases.tokens import create_token, revoke_token
from sync.database import Database
from tests.security.world import a_security_world
from tests.web.world import PASSWORDS, WebWorld, a_png, form_token, sign_in


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("0", False), ("no", False), ("auto", None), ("", None)])
def test_cookie_secure_is_a_setting_read_from_the_environment(raw: str, expected: bool | None) -> None:
    assert Settings.from_env({"TALLY_COOKIE_SECURE": raw}).cookie_secure is expected
    assert Settings.from_env({}).cookie_secure is None


async def _form_cookie_flags(settings: Settings, db: Database) -> set[str]:
    app = create_app(settings, database=db)
    attach_database(app, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get("/web/login")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("tally_form="))
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


async def test_secure_cookies_forced_by_the_settings_are_secure_even_over_plain_http(settings: Settings, db: Database, world: WebWorld) -> None:
    assert {"secure", "httponly", "samesite"} <= await _form_cookie_flags(replace(settings, cookie_secure=True), db)
    assert "secure" not in await _form_cookie_flags(replace(settings, cookie_secure=None), db)  # auto: plain http here


class Collected(logging.Handler):
    """Every record that reaches it, formatted as a log file would show it (with tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def attach(self) -> list[logging.Logger]:
        """On the root logger, and on every logger that does not pass its records up (the app's logging
        configuration replaces the root's handlers when the app is built, so this comes after)."""
        loggers = [logging.getLogger()] + [
            logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger) and not logger.propagate
        ]
        for logger in loggers:
            logger.addHandler(self)
        return loggers


async def test_no_token_password_code_cookie_or_signature_reaches_the_logs(settings: Settings, db: Database, world: WebWorld) -> None:
    security = await a_security_world(db, world)
    admin = next(c.token for c in security.callers if c.name == "admin")
    courier = next(c.token for c in security.callers if c.name == "device_courier")
    app = create_app(replace(settings, debug=False), database=db)
    attach_database(app, db)
    signature = a_png() + b"signed by the customer"
    sha = hashlib.sha256(signature).hexdigest()
    leaver, leaver_id = await create_token(db, "office", "leaver")
    await revoke_token(db, leaver_id)

    collected = Collected()
    loggers = collected.attach()
    levels = {name: logging.getLogger(name).level for name in ("", "tally")}
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("tally").setLevel(logging.DEBUG)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            created = await client.post("/api/devices/enrollments", json={"role": "picker", "warehouse_id": world.wh_a},
                                        headers={"authorization": f"Bearer {admin}"})  # fmt: skip
            code = created.json()["code"]
            enrolled = await client.post("/api/devices/enroll", json={"code": code, "name": "TC52-log"})
            device_token = enrolled.json()["token"]
            assert (await client.post("/api/devices/enroll", json={"code": code, "name": "again"})).status_code == 409
            assert (await client.get("/api/orders", headers={"authorization": f"Bearer {leaver}"})).status_code == 401
            assert (await sign_in(client, "supervisor", "not-the-password")).status_code == 401
            signed_in = await sign_in(client, "supervisor", PASSWORDS["supervisor"])
            session = signed_in.cookies["tally_session"]
            csrf = form_token((await client.get("/web/dashboard")).text)
            upload = await client.put(f"/api/blobs/{sha}", content=signature,
                                      headers={"authorization": f"Bearer {courier}", "content-type": "image/png"})  # fmt: skip
            assert upload.status_code == 201, upload.text
            delivery = {"delivery_id": str(uuid.uuid4()), "order_id": world.xss_order, "route_id": world.route_a, "outcome": "delivered",
                        "recipient_name": "Получатель", "signature_png": sha}  # fmt: skip
            async with db.read() as conn:
                device_id = (await conn.execute(select(SYNC.devices.c.id).where(SYNC.devices.c.token_hash == digest(courier)))).scalar_one()
            pushed = await client.post("/api/sync/push", headers={"authorization": f"Bearer {courier}"}, json={
                "protocol": 1, "device_id": device_id,
                "ops": [{"op_id": str(uuid.uuid4()), "seq": 1, "type": "RecordDelivery", "captured_at": datetime.now(UTC).isoformat(),
                         "payload": delivery}],
            })  # fmt: skip
            assert pushed.json()["results"][0]["status"] == "applied", pushed.text
    finally:
        for logger in loggers:
            logger.removeHandler(collected)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)

    logged = "\n".join(collected.lines)
    assert len(collected.lines) > 5  # the run was logged (requests, refusals), so the search means something
    secrets = {
        "admin token": admin, "courier token": courier, "revoked token": leaver, "new device token": device_token,
        "enrollment code": code, "enrollment code, bare": code.replace("-", ""),
        "password": PASSWORDS["supervisor"], "wrong password": "not-the-password", "session cookie": session, "csrf token": csrf,
        "signature (base64)": base64.b64encode(signature).decode()[:40], "signature (hex)": signature.hex()[:40],
        "signature (text)": "signed by the customer",
    }  # fmt: skip
    assert [name for name, secret in secrets.items() if secret in logged] == []


async def test_one_address_trying_many_accounts_is_locked_out_of_signing_in(settings: Settings, db: Database, world: WebWorld) -> None:
    # Each account locks after 5 wrong passwords; spraying one password over many accounts from one
    # address is stopped by the address's own count (LOGIN), and other addresses still sign in.
    from server.usecases.throttle import LOGIN

    app = create_app(settings, database=db)
    attach_database(app, db)

    def from_(address: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver")

    async with from_("203.0.113.50") as sprayer, from_("198.51.100.7") as colleague:
        for i in range(LOGIN.failures):
            assert (await sign_in(sprayer, f"user{i}", "Winter2026!")).status_code == 401
        locked = await sign_in(sprayer, "supervisor", PASSWORDS["supervisor"])  # even the right password
        assert locked.status_code == 429 and "tally_session" not in locked.cookies
        assert (await sign_in(colleague, "supervisor", PASSWORDS["supervisor"])).status_code == 303
