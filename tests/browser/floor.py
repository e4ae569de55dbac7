"""The warehouse floor around a handheld under test: orders made through the office API, and the
other stages done by API devices speaking the sync protocol — so a test starts at its own stage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from server.domain.packing import SsccBlock, next_sscc
from tests.browser.conftest import TallyServer

WAREHOUSE = 1


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ApiDevice:
    """An enrolled device driven over HTTP: pushes ops, pulls its scope."""

    server: TallyServer
    device_id: str
    token: str
    seq: int = 0
    replica: dict[tuple[str, str], Any] = field(default_factory=dict)
    cursor: str | None = None

    @classmethod
    def enroll(cls, server: TallyServer, role: str, name: str) -> ApiDevice:
        code = server.enrollment_code(role)
        answer = httpx.post(f"{server.url}/api/devices/enroll", json={"code": code, "name": name, "app_version": "test"}, timeout=30)
        answer.raise_for_status()
        return cls(server, answer.json()["device_id"], answer.json()["token"])

    def push(self, *ops: tuple[str, dict]) -> list[dict]:
        body_ops = []
        for op_type, payload in ops:
            self.seq += 1
            body_ops.append({"op_id": str(uuid.uuid4()), "seq": self.seq, "type": op_type, "captured_at": _now(), "payload": payload})
        body = {"protocol": 1, "device_id": self.device_id, "sent_at": _now(), "pending": len(body_ops), "app_version": "test", "ops": body_ops}
        results = self.server.api("POST", "/api/sync/push", body, token=self.token)["results"]
        refused = [r for r in results if r["status"] != "applied"]
        assert not refused, refused
        return results

    def pull(self) -> dict[tuple[str, str], Any]:
        while True:
            page = self.server.api("POST", "/api/sync/pull", {"protocol": 1, "cursor": self.cursor, "limit": 1000, "pending": 0}, token=self.token)
            for change in page["changes"]:
                key = (change["kind"], str(change["id"]))
                if change["op"] == "put":
                    self.replica[key] = change["data"]
                else:
                    self.replica.pop(key, None)
            self.cursor = page["cursor"]
            if not page["more"]:
                return self.replica


def stocked_products(server: TallyServer, n: int, *, skip: int = 0) -> list[tuple[str, str, str]]:
    """(sku, EAN of one unit, name) of unmarked products with plenty available, all in one bin of the warehouse
    (so each order line is one pick line)."""
    return server.query(
        "SELECT p.sku, b.code, p.name FROM products p JOIN product_stock s ON s.product_id = p.id AND s.warehouse_id = ? "
        "JOIN product_barcodes b ON b.product_id = p.id AND b.multiplier = 1 "
        "WHERE NOT p.marked AND s.on_hand - s.reserved >= 20 "
        "AND (SELECT count(*) FROM bin_stock bs JOIN locations l ON l.id = bs.location_id "
        "     WHERE bs.product_id = p.id AND l.warehouse_id = ? AND bs.quantity > 0) = 1 "
        "AND (SELECT max(bs.quantity) FROM bin_stock bs WHERE bs.product_id = p.id) >= 20 "
        "GROUP BY p.id ORDER BY p.id LIMIT ? OFFSET ?",
        WAREHOUSE, WAREHOUSE, n, skip,
    )  # fmt: skip


def confirmed_order(server: TallyServer, lines: list[tuple[str, int]]) -> int:
    (customer,), = server.query("SELECT id FROM customers ORDER BY id LIMIT 1")
    order = server.api("POST", "/api/orders", {"customer_id": customer, "warehouse_id": WAREHOUSE, "payment": {"kind": "prepaid"},
                                               "lines": [{"sku": sku, "quantity": q} for sku, q in lines]})  # fmt: skip
    server.api("POST", f"/api/orders/{order['id']}/confirm")
    return order["id"]


def pick_list(server: TallyServer, order_ids: list[int]) -> dict:
    return server.api("POST", "/api/pick-lists", {"warehouse_id": WAREHOUSE, "order_ids": order_ids})


def status(server: TallyServer, order_id: int) -> str:
    return server.query("SELECT status FROM orders WHERE id = ?", order_id)[0][0]


def picked(server: TallyServer, lines: list[tuple[str, int]], codes: dict[str, str]) -> int:
    """A confirmed order picked in full by an API picker; returns its id."""
    order = confirmed_order(server, lines)
    doc = pick_list(server, [order])
    picker = ApiDevice.enroll(server, "picker", f"api-picker-{order}")
    picker.push(("ClaimPickList", {"pick_list_id": doc["id"]}))
    picker.push(*[("PickItem", {"pick_line_id": li["id"], "bin": li["location_barcode"], "code": codes[li["sku"]], "quantity": li["quantity"]})
                  for li in doc["lines"]])  # fmt: skip
    assert status(server, order) == "picked"
    return order


def checked(server: TallyServer, lines: list[tuple[str, int]], codes: dict[str, str]) -> int:
    order = picked(server, lines, codes)
    checker = ApiDevice.enroll(server, "checker", f"api-checker-{order}")
    checker.push(("CheckOrder", {"order_id": order, "items": [{"code": codes[sku], "quantity": q} for sku, q in lines]}))
    assert status(server, order) == "checked"
    return order


def packed(server: TallyServer, lines: list[tuple[str, int]], codes: dict[str, str], parcels: int = 1) -> tuple[int, list[str]]:
    """A checked order packed by an API packer into `parcels` parcels (units spread over them); its SSCCs."""
    order = checked(server, lines, codes)
    packer = ApiDevice.enroll(server, "packer", f"api-packer-{order}")
    docs = [d for (kind, _), d in packer.pull().items() if kind == "sscc_block"]
    blocks = [SsccBlock(d["id"], d["extension_digit"], d["company_prefix"], d["first_serial"], d["last_serial"]) for d in docs]
    units = [codes[sku] for sku, q in lines for _ in range(q)]
    ssccs: list[str] = []
    for n in range(parcels):
        sscc = next_sscc(blocks, set(ssccs), after={d["id"]: d["next_serial"] for d in docs})
        ssccs.append(sscc)
        parcel = str(uuid.uuid4())
        mine = units[n::parcels]
        packer.push(("OpenParcel", {"parcel_id": parcel, "order_id": order, "sscc": sscc}),
                    *[("PackItem", {"parcel_id": parcel, "code": code}) for code in mine],
                    ("CloseParcel", {"parcel_id": parcel, "weight_g": 500 + 100 * n}))  # fmt: skip
    assert status(server, order) == "packed"
    return order, ssccs


def route(server: TallyServer, order_ids: list[int], vehicle: str) -> int:
    courier = server.api("POST", "/api/couriers", {"name": f"Courier {vehicle}", "warehouse_id": WAREHOUSE})
    return server.api("POST", "/api/routes", {"warehouse_id": WAREHOUSE, "day": date.today().isoformat(), "courier_id": courier["id"],
                                              "vehicle": vehicle, "order_ids": order_ids})["id"]  # fmt: skip



def set_lang(page, lang: str) -> None:  # noqa: ANN001
    """Switch the app's language and wait until the screen has redrawn in it."""
    page.evaluate("(lang) => import('/js/i18n.js').then((m) => m.getLang() === lang || m.setLang(lang))", lang)
    page.wait_for_function("(lang) => document.documentElement.lang === lang && document.querySelector('#screen').childElementCount > 0"
                           " && (document.querySelector('#screen .screen-body')?.childElementCount ?? 1) > 0", arg=lang)  # fmt: skip


def shoot_settled(page, name: str) -> None:  # noqa: ANN001
    """Once a green acceptance flash has gone (a refusal stays: it is what the screen shows), check
    the screen is usable (test_screens.USABILITY) and photograph it at both phone sizes, in English
    and in Russian."""
    from tests.browser.handheld import SIZES, shoot
    from tests.browser.test_screens import USABILITY

    page.wait_for_function("(() => { const v = document.getElementById('verdict'); return v.hidden || v.classList.contains('refused'); })()")
    for lang in ("ru", "en"):
        set_lang(page, lang)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            problems = page.evaluate(USABILITY)
            assert problems == [], f"{name} in {lang} at {width}x{height}: {problems} {page.inner_text('#screen')!r}"
        shoot(page, f"{name}-{lang}")
