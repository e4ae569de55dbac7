"""The device refuses a pick exactly when the server would: one golden file, two implementations."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from server.domain import picking
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, resolve_scan
from tests.browser.conftest import TallyServer, golden

GOLDEN = golden("pick_checks.json")
CATALOG = {code: BarcodeRef(pid, multiplier) for code, (pid, multiplier) in GOLDEN["catalog"].items()}


def _line(name: str) -> picking.PickLine:
    doc = GOLDEN["lines"][name]
    return picking.PickLine(doc["id"], 1, 1, 1, doc["product_id"], 1, doc["location_barcode"], 1, doc["quantity"],
                            doc["picked"], doc["shorted"], None, doc["marked"])  # fmt: skip


def _server_pick(case: dict[str, Any]) -> dict[str, Any]:
    try:
        item = resolve_scan(case["code"], CATALOG)
        return {"units": picking.check_scan(_line(case["line"]), case["bin"], item, case["quantity"])}
    except Refused as refusal:
        return {"refused": refusal.code}


def _server_short(case: dict[str, Any]) -> dict[str, Any]:
    try:
        picking.short_pick(_line(case["line"]), case["quantity"], case["reason"])
        return {"ok": True}
    except Refused as refusal:
        return {"refused": refusal.code}


@pytest.mark.parametrize("case", GOLDEN["picks"], ids=[c["name"] for c in GOLDEN["picks"]])
def test_the_server_pick_check_agrees_with_the_golden_cases(case: dict) -> None:
    assert _server_pick(case) == case["expect"]


@pytest.mark.parametrize("case", GOLDEN["shorts"], ids=[c["name"] for c in GOLDEN["shorts"]])
def test_the_server_short_check_agrees_with_the_golden_cases(case: dict) -> None:
    assert _server_short(case) == case["expect"]


def test_the_golden_cases_cover_every_refusal_the_device_makes() -> None:
    refused = {c["expect"].get("refused") for c in GOLDEN["picks"] + GOLDEN["shorts"]} - {None}
    assert refused == {"wrong_bin", "wrong_item", "over_pick", "unknown_barcode", "quantity_not_positive", "marking_code_required",
                       "marking_code_per_unit", "short_reason_invalid", "short_exceeds_remaining"}  # fmt: skip


RUN_ON_DEVICE = """async (golden) => {
  const m = await import('/js/picking.js');
  const barcodes = new Map(Object.entries(golden.catalog));
  const picks = golden.picks.map((c) => m.pickVerdict(golden.lines[c.line], c.bin, c.code, c.quantity, barcodes));
  const shorts = golden.shorts.map((c) => {
    try { m.checkShort(golden.lines[c.line], c.quantity, c.reason); return { ok: true }; }
    catch (error) { if (error instanceof m.Refusal) return { refused: error.code }; throw error; }
  });
  return { picks, shorts };
}"""


def test_the_device_pick_check_agrees_with_the_golden_cases(page: Page, tally_server: TallyServer) -> None:
    page.goto(f"{tally_server.url}/")
    got = page.evaluate(RUN_ON_DEVICE, GOLDEN)
    for case, verdict in zip(GOLDEN["picks"], got["picks"], strict=True):
        assert verdict == case["expect"], case["name"]
    for case, verdict in zip(GOLDEN["shorts"], got["shorts"], strict=True):
        assert verdict == case["expect"], case["name"]
