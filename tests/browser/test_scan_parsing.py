"""The device reads scanned text as the server does: one golden file, two parsers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from labels.errors import GS1Error
from labels.gs1_parse import parse_gs1
from tests.browser.conftest import TallyServer, golden

CASES = golden("scans.json")["cases"]


@pytest.mark.parametrize("case", CASES, ids=[repr(c["scan"]) for c in CASES])
def test_the_server_side_parser_agrees_with_the_golden_scans(case: dict) -> None:
    if case["gtin"] is None and "sscc" not in case:
        with pytest.raises(GS1Error):
            parse_gs1(case["scan"])
        return
    data = parse_gs1(case["scan"])
    assert data.gtin == case["gtin"]
    assert data.sscc == case.get("sscc")
    if "elements" in case:
        assert [list(e) for e in data.elements] == case["elements"]


def test_the_device_parser_agrees_with_the_golden_scans(page: Page, tally_server: TallyServer) -> None:
    page.goto(f"{tally_server.url}/")
    results = page.evaluate(
        "(cases) => import('/js/gs1.js').then((m) => cases.map((c) => m.parseScan(c.scan)))", CASES
    )
    for case, got in zip(CASES, results, strict=True):
        assert got["raw"] == case["scan"], case
        assert got["gtin"] == case["gtin"], case
        assert got["sscc"] == case.get("sscc"), case
        assert got["gs1"] == case["gs1"], case
        if "elements" in case:
            assert got["elements"] == case["elements"], case
