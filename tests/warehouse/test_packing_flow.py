"""Packing through the sync protocol: SSCC blocks reach the handheld, parcels are opened, filled
and closed offline, and the server turns them into the order's packed stage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.db.tables import marking_codes, order_events, orders, pallets, parcel_items, parcels, product_stock, sscc_blocks
from labels.gs1 import gs1_check_digit
from server.domain.packing import SsccBlock, next_sscc
from server.usecases.devices import create_enrollment
from server.usecases.packing import allocate_sscc_block
from server.usecases.picking import create_pick_list
from sync.client import SyncClient
from sync.database import Database
from tests.conftest import auth
from tests.sync.fixtures import a_client, a_device
from tests.warehouse.world import World, a_confirmed_order, a_warehouse


@dataclass
class Floor:
    """A warehouse with a picker and a checker on shift: orders reach `checked` the real way."""

    db: Database
    client: httpx.AsyncClient
    tmp_path: Path
    world: World
    picker: SyncClient
    checker: SyncClient

    async def checked(self, lines: list[tuple[str, int]], *, units: dict[str, list[str]] | None = None) -> int:
        """A confirmed order picked (marked goods: one DataMatrix per unit) and counted by the checker."""
        order = await a_confirmed_order(self.db, self.world, lines)
        pick_list = await create_pick_list(self.db, self.world.warehouse, [order])
        await self.picker._pull_all(1000)
        for line in self.picker.replica()[("pick_list", str(pick_list))]["lines"]:
            codes = (units or {}).get(line["sku"]) or [self.world.products[line["sku"]][1]]
            for code in codes:
                quantity = 1 if units and line["sku"] in units else line["quantity"]
                self.picker.record("PickItem", {"pick_line_id": line["id"], "bin": line["location_barcode"], "code": code, "quantity": quantity})
        await self.picker.sync()
        self.checker.record("CheckOrder", {"order_id": order, "items": [{"code": self.world.products[sku][1], "quantity": q} for sku, q in lines]})
        await self.checker.sync()
        assert self.picker.rejected() == [] and self.checker.rejected() == []
        assert await status(self.db, order) == "checked"
        return order

    async def handheld(self, role: str, name: str) -> SyncClient:
        device, token = await a_device(self.db, role, {"warehouse_id": self.world.warehouse}, name)
        return a_client(self.tmp_path, self.client, device, token, name=name)


async def a_floor(db: Database, client: httpx.AsyncClient, tmp_path: Path, stock: dict[str, tuple[str, int]], **kw) -> Floor:  # noqa: ANN003
    world = await a_warehouse(db, stock, **kw)
    floor = Floor(db, client, tmp_path, world, None, None)  # type: ignore[arg-type]
    floor.picker = await floor.handheld("picker", "picker")
    floor.checker = await floor.handheld("checker", "checker")
    return floor


async def status(db: Database, order_id: int) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one()


def labels(phone: SyncClient, count: int, used: set[str] = frozenset()) -> list[str]:  # noqa: B006
    """The next `count` SSCCs the handheld would print, from the blocks in its replica."""
    docs = [d for (kind, _), d in phone.replica().items() if kind == "sscc_block"]
    blocks = [SsccBlock(d["id"], d["extension_digit"], d["company_prefix"], d["first_serial"], d["last_serial"]) for d in docs]
    taken, out = set(used), []
    for _ in range(count):
        out.append(next_sscc(blocks, taken, after={d["id"]: d["next_serial"] for d in docs}))
        taken.add(out[-1])
    return out


def parcel_id() -> str:
    return str(uuid.uuid4())


def codes(phone: SyncClient) -> list[str]:
    return [code for _, _, code, _ in phone.rejected()]


async def a_packer(floor: Floor, name: str = "packer", count: int = 500) -> SyncClient:
    packer = await floor.handheld("packer", name)
    await allocate_sscc_block(floor.db, packer.device_id, count)
    await packer._pull_all(1000)
    return packer


async def test_an_order_is_packed_into_two_parcels_offline_and_goes_packed(client, db, tmp_path, tokens) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40), "NUT": ("B-01", 50)})
    packer = await floor.handheld("packer", "packer")
    await packer._pull_all(1000)
    allocated = await client.post(f"/api/devices/{packer.device_id}/sscc-blocks", json={"count": 50}, headers=auth(tokens["supervisor"]))
    assert allocated.status_code == 201 and allocated.json()["last_serial"] - allocated.json()["first_serial"] == 49
    order = await floor.checked([("BOLT", 13), ("NUT", 2)])
    await packer._pull_all(1000)  # the block (device scope) and the checked order (warehouse scope) arrive as changes
    doc = packer.replica()[("pack_order", str(order))]
    assert sorted((li["sku"], li["picked"], li["packed"]) for li in doc["lines"]) == [("BOLT", 13, 0), ("NUT", 2, 0)]
    before = await _levels(db)

    # Offline: a case of 12 bolts in the first parcel, the last bolt and the nuts in the second.
    first, second = parcel_id(), parcel_id()
    blocks = sorted(d["first_serial"] for (kind, _), d in packer.replica().items() if kind == "sscc_block")
    assert len(blocks) == 2  # the block every packing handheld gets at enrollment, and the one allocated above
    sscc_1, sscc_2 = labels(packer, 2)
    packer.record("OpenParcel", {"parcel_id": first, "order_id": order, "sscc": sscc_1})
    packer.record("PackItem", {"parcel_id": first, "code": floor.world.cases["BOLT"]})
    packer.record("CloseParcel", {"parcel_id": first, "weight_g": 6200})
    packer.record("OpenParcel", {"parcel_id": second, "order_id": order, "sscc": sscc_2})
    packer.record("PackItem", {"parcel_id": second, "code": floor.world.products["BOLT"][1]})
    packer.record("PackItem", {"parcel_id": second, "code": floor.world.products["NUT"][1], "quantity": 2})
    await packer.sync()
    assert codes(packer) == []
    assert await status(db, order) == "checked"  # a parcel is still open
    packer.record("CloseParcel", {"parcel_id": second, "weight_g": 700})
    await packer.sync()
    assert codes(packer) == []

    assert await status(db, order) == "packed"
    assert await _levels(db) == before  # packing moves no stock
    bolt, nut = floor.world.products["BOLT"][0], floor.world.products["NUT"][0]
    async with db.read() as conn:
        rows = {r.sscc: (r.status, r.weight_g, r.packed_by) for r in await conn.execute(select(parcels))}
        items = sorted((r.parcel_id, r.product_id, r.quantity) for r in await conn.execute(select(parcel_items)))
        timeline = (await conn.execute(select(order_events.c.type, order_events.c.data, order_events.c.device_id, order_events.c.captured_at)
                                       .where(order_events.c.order_id == order).order_by(order_events.c.id))).all()  # fmt: skip
    assert rows == {sscc_1: ("closed", 6200, packer.device_id), sscc_2: ("closed", 700, packer.device_id)}
    assert items == sorted([(first, bolt, 12), (second, bolt, 1), (second, nut, 2)])
    types = [t for t, *_ in timeline]
    assert types.count("parcel_opened") == 2 and types.count("parcel_closed") == 2 and types.count("item_packed") == 3
    assert types[-1] == "order_packed" and timeline[-1].data["parcels"] == 2
    assert sorted(timeline[-1].data["ssccs"]) == sorted([sscc_1, sscc_2])
    assert all(d == packer.device_id and c is not None for t, _, d, c in timeline if t in ("parcel_opened", "item_packed", "parcel_closed"))
    doc = packer.replica()[("pack_order", str(order))]
    assert doc["status"] == "packed" and sorted(li["packed"] for li in doc["lines"]) == [2, 13]
    assert sorted(p["sscc"] for p in doc["parcels"]) == sorted([sscc_1, sscc_2])
    read = await client.get(f"/api/orders/{order}/parcels", headers=auth(tokens["office"]))
    assert read.status_code == 200 and sorted(p["sscc"] for p in read.json()) == sorted([sscc_1, sscc_2])


async def _levels(db: Database) -> list[tuple]:
    async with db.read() as conn:
        return sorted(tuple(r) for r in await conn.execute(select(product_stock.c.product_id, product_stock.c.on_hand, product_stock.c.reserved)))


async def test_an_sscc_outside_the_devices_block_used_before_or_with_a_bad_check_digit_is_rejected(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    order = await floor.checked([("BOLT", 2)])
    mine, theirs = await a_packer(floor, "mine"), await a_packer(floor, "theirs")
    async with db.read() as conn:
        ranges = sorted((r.first_serial, r.last_serial) for r in await conn.execute(select(sscc_blocks)))
    assert ranges[0][1] < ranges[1][0]  # blocks never overlap
    (own,), (foreign,) = labels(mine, 1), labels(theirs, 1)
    bad = own[:-1] + str((int(own[-1]) + 1) % 10)
    mine.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": foreign})
    mine.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": bad})
    mine.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": own})
    mine.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": own})  # the same label twice
    await mine.sync()
    assert codes(mine) == ["sscc_not_allocated", "sscc_invalid", "sscc_used"]
    async with db.read() as conn:
        assert list((await conn.execute(select(parcels.c.sscc))).scalars()) == [own]


async def test_packing_is_refused_until_the_check_passes(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    order = await a_confirmed_order(db, floor.world, [("BOLT", 2)])
    packer = await a_packer(floor)
    assert ("pack_order", str(order)) not in packer.replica()
    packer.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": labels(packer, 1)[0]})
    packer.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": 999_999, "sscc": labels(packer, 1)[0]})
    await packer.sync()
    assert codes(packer) == ["order_not_checked", "order_unknown"]


async def test_packing_more_than_was_picked_is_rejected_as_over_pack(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40), "NUT": ("B-01", 40)})
    order = await floor.checked([("BOLT", 5)])
    packer = await a_packer(floor)
    box = parcel_id()
    packer.record("OpenParcel", {"parcel_id": box, "order_id": order, "sscc": labels(packer, 1)[0]})
    packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1], "quantity": 4})
    packer.record("PackItem", {"parcel_id": box, "code": floor.world.cases["BOLT"]})  # 12 more: only one is left
    packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1], "quantity": 2})
    packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["NUT"][1]})  # not in the order
    packer.record("PackItem", {"parcel_id": parcel_id(), "code": floor.world.products["BOLT"][1]})
    packer.record("CloseParcel", {"parcel_id": parcel_id(), "weight_g": 100})
    packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1]})
    packer.record("CloseParcel", {"parcel_id": box, "weight_g": 0})
    packer.record("CloseParcel", {"parcel_id": box, "weight_g": 1500})
    packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1]})
    await packer.sync()
    assert codes(packer) == ["over_pack", "over_pack", "item_not_in_order", "parcel_unknown", "parcel_unknown", "weight_invalid",
                             "parcel_not_open"]  # fmt: skip
    assert await status(db, order) == "packed"
    async with db.read() as conn:
        assert (await conn.execute(select(parcel_items.c.quantity))).scalar_one() == 5


async def test_marked_units_are_packed_with_the_codes_picked_for_the_order(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"DRILL": ("A-01", 5)}, marked={"DRILL"})
    gtin = floor.world.products["DRILL"][1].rjust(14, "0")
    one, two, stranger = (f"]d201{gtin}21SER000{n}abcde\x1d93Ab12" for n in (1, 2, 9))
    order = await floor.checked([("DRILL", 2)], units={"DRILL": [one, two]})
    packer = await a_packer(floor)
    assert sorted(c for c, _ in packer.replica()[("pack_order", str(order))]["marking_codes"]) == [f"01{gtin}21SER0001abcde", f"01{gtin}21SER0002abcde"]
    box = parcel_id()
    packer.record("OpenParcel", {"parcel_id": box, "order_id": order, "sscc": labels(packer, 1)[0]})
    for code in (floor.world.products["DRILL"][1], stranger, one, one, two):
        packer.record("PackItem", {"parcel_id": box, "code": code})
    packer.record("CloseParcel", {"parcel_id": box, "weight_g": 4100})
    await packer.sync()
    assert codes(packer) == ["marking_code_required", "marking_code_not_picked", "marking_code_packed"]
    assert await status(db, order) == "packed"
    async with db.read() as conn:
        assert set((await conn.execute(select(marking_codes.c.parcel_id))).scalars()) == {box}


async def test_closed_parcels_go_on_a_pallet_with_its_own_sscc(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    first_order, second_order = await floor.checked([("BOLT", 1)]), await floor.checked([("BOLT", 2)])
    packer = await a_packer(floor)
    a, b, c = parcel_id(), parcel_id(), parcel_id()
    sscc_a, sscc_b, sscc_c, pallet = labels(packer, 4)
    for box, order, sscc in ((a, first_order, sscc_a), (b, second_order, sscc_b), (c, second_order, sscc_c)):
        packer.record("OpenParcel", {"parcel_id": box, "order_id": order, "sscc": sscc})
        packer.record("PackItem", {"parcel_id": box, "code": floor.world.products["BOLT"][1]})
    packer.record("CloseParcel", {"parcel_id": a, "weight_g": 300})
    packer.record("CloseParcel", {"parcel_id": b, "weight_g": 300})
    packer.record("PalletizeParcels", {"pallet_sscc": pallet, "parcel_ids": [a, c]})  # c is still open
    packer.record("PalletizeParcels", {"pallet_sscc": pallet, "parcel_ids": [a, b]})
    packer.record("PalletizeParcels", {"pallet_sscc": sscc_a, "parcel_ids": [b]})  # a parcel's label is not a pallet's
    await packer.sync()
    assert codes(packer) == ["parcel_not_closed", "sscc_used"]
    assert await status(db, first_order) == "packed" and await status(db, second_order) == "checked"
    async with db.read() as conn:
        assert list((await conn.execute(select(pallets.c.sscc))).scalars()) == [pallet]
        on_pallet = {r.sscc: r.pallet_sscc for r in await conn.execute(select(parcels.c.sscc, parcels.c.pallet_sscc))}
        event = (await conn.execute(select(order_events.c.data).where(order_events.c.type == "parcels_palletized",
                                                                      order_events.c.order_id == second_order))).scalar_one()  # fmt: skip
    assert on_pallet == {sscc_a: pallet, sscc_b: pallet, sscc_c: None}
    assert event == {"pallet_sscc": pallet, "ssccs": [sscc_b]}


async def test_a_packer_running_low_on_labels_gets_a_fresh_block_with_its_push(client, db, tmp_path, tokens, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TALLY_SSCC_FIRST_BLOCK", "0")  # no block at enrollment: only the small one below
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    order = await floor.checked([("BOLT", 2)])
    packer = await a_packer(floor, count=101)
    assert [d["next_serial"] for (k, _), d in packer.replica().items() if k == "sscc_block"] == [1]
    for sscc in labels(packer, 2):
        packer.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": sscc})
    await packer.sync()  # 99 unused serials left: below the low-water mark
    blocks = sorted((d["first_serial"], d["last_serial"], d["next_serial"]) for (k, _), d in packer.replica().items() if k == "sscc_block")
    assert blocks == [(1, 101, 3), (102, 601, 102)]
    assert int(labels(packer, 1)[0][8:17]) == 3  # after a reset the handheld would resume at next_serial
    # A packer without any block that tries to label a parcel gets its first block with that push.
    newcomer = await floor.handheld("packer", "newcomer")
    newcomer.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": labels(packer, 1)[0]})
    await newcomer.sync()
    assert codes(newcomer) == ["sscc_not_allocated"]
    assert [(d["first_serial"], d["last_serial"]) for (k, _), d in newcomer.replica().items() if k == "sscc_block"] == [(602, 1101)]
    # The endpoint's rules: packing devices only, 1..10,000 serials, managers only.
    picker = await client.post(f"/api/devices/{floor.picker.device_id}/sscc-blocks", json={}, headers=auth(tokens["admin"]))
    too_many = await client.post(f"/api/devices/{packer.device_id}/sscc-blocks", json={"count": 10_001}, headers=auth(tokens["admin"]))
    office = await client.post(f"/api/devices/{packer.device_id}/sscc-blocks", json={}, headers=auth(tokens["office"]))
    unknown = await client.post("/api/devices/nope/sscc-blocks", json={}, headers=auth(tokens["admin"]))
    assert (picker.status_code, picker.json()["code"]) == (422, "device_not_packing")
    assert (too_many.status_code, office.status_code, unknown.status_code) == (400, 403, 404)
    listed = await client.get(f"/api/devices/{packer.device_id}/sscc-blocks", headers=auth(tokens["supervisor"]))
    assert [b["next_serial"] for b in listed.json()] == [3, 102]


async def test_a_packing_handheld_can_print_labels_before_its_first_push(client, db, tmp_path) -> None:  # noqa: ANN001
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    packer = await floor.handheld("packer", "fresh-packer")
    await packer._pull_all(1000)
    (block,) = [d for (kind, _), d in packer.replica().items() if kind == "sscc_block"]
    assert block["last_serial"] - block["first_serial"] + 1 == 500  # allocated at enrollment
    picker = await floor.handheld("picker", "picker-2")
    await picker._pull_all(1000)
    assert not [k for (k, _) in picker.replica() if k == "sscc_block"]  # pickers print no parcel labels


OWN_NUMBERING = {"gs1_company_prefix": "4607012345", "sscc_extension": "3", "sscc_first_block": 20}


@pytest.mark.parametrize("settings", [OWN_NUMBERING], indirect=True)
async def test_sscc_numbering_comes_from_the_servers_settings(client, db, tokens, monkeypatch) -> None:  # noqa: ANN001
    # The environment says otherwise: the server's Settings, built once, are what the use cases get.
    monkeypatch.setenv("TALLY_GS1_COMPANY_PREFIX", "9999999")
    monkeypatch.setenv("TALLY_SSCC_FIRST_BLOCK", "700")
    world = await a_warehouse(db, {"BOLT": ("A-01", 1)})
    code = await create_enrollment(db, "test", "packer", {"warehouse_id": world.warehouse})
    enrolled = await client.post("/api/devices/enroll", json={"code": code.code, "name": "settings-packer"})
    assert enrolled.status_code == 201
    device_id = enrolled.json()["device_id"]
    allocated = await client.post(f"/api/devices/{device_id}/sscc-blocks", json={"count": 5}, headers=auth(tokens["admin"]))
    assert allocated.status_code == 201 and allocated.json()["first_sscc"].startswith("34607012345")
    async with db.read() as conn:
        b = sscc_blocks.c
        blocks = (await conn.execute(select(b.extension_digit, b.company_prefix, b.first_serial, b.last_serial)
                                     .where(b.device_id == device_id).order_by(b.id))).all()  # fmt: skip
    assert [tuple(r) for r in blocks] == [(3, "4607012345", 1, 20), (3, "4607012345", 21, 25)]


@pytest.mark.parametrize("settings", [OWN_NUMBERING], indirect=True)
async def test_a_push_that_tops_up_a_packers_serials_numbers_them_from_the_servers_settings(client, db, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    # The environment says otherwise, and enrollment here gives no block: the push's top-up is the only source.
    monkeypatch.setenv("TALLY_GS1_COMPANY_PREFIX", "9999999")
    monkeypatch.setenv("TALLY_SSCC_FIRST_BLOCK", "0")
    floor = await a_floor(db, client, tmp_path, {"BOLT": ("A-01", 40)})
    order = await floor.checked([("BOLT", 1)])
    packer = await floor.handheld("packer", "topped-up")
    unallocated = "39999999000000001" + str(gs1_check_digit("39999999000000001"))
    packer.record("OpenParcel", {"parcel_id": parcel_id(), "order_id": order, "sscc": unallocated})
    await packer.sync()
    assert codes(packer) == ["sscc_not_allocated"]
    (block,) = [d for (kind, _), d in packer.replica().items() if kind == "sscc_block"]
    assert (block["extension_digit"], block["company_prefix"]) == (3, "4607012345")


@pytest.mark.parametrize("settings", [{"gs1_company_prefix": "46O1234", "sscc_first_block": 0}], indirect=True)
async def test_a_bad_company_prefix_in_the_settings_is_refused_with_its_code(client, db, tokens) -> None:  # noqa: ANN001
    world = await a_warehouse(db, {"BOLT": ("A-01", 1)})
    code = await create_enrollment(db, "test", "packer", {"warehouse_id": world.warehouse})
    device_id = (await client.post("/api/devices/enroll", json={"code": code.code, "name": "p"})).json()["device_id"]
    refused = await client.post(f"/api/devices/{device_id}/sscc-blocks", json={}, headers=auth(tokens["admin"]))
    assert (refused.status_code, refused.json()["code"]) == (422, "gs1_prefix_invalid")
