"""Picking rules: the device's scan checks, the server's facts, short picks, claims, bin planning."""

from __future__ import annotations

import pytest

from server.domain import picking as rules
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, ScannedItem, resolve_scan
from labels.gs1 import append_check_digit

EAN = append_check_digit("460123456789")
CASE = append_check_digit("1" + EAN[:-1])
OTHER = append_check_digit("460999999999")
BARCODES = {EAN: BarcodeRef(7, 1), CASE: BarcodeRef(7, 12), OTHER: BarcodeRef(8, 1)}


def a_line(quantity: int = 5, picked: int = 0, shorted: int = 0, marked: bool = False) -> rules.PickLine:
    return rules.PickLine(1, 1, 10, 1, product_id=7, location_id=3, location_barcode="LA0101", pick_seq=10,
                          quantity=quantity, picked=picked, shorted=shorted, marked=marked)  # fmt: skip


def test_a_scan_of_the_right_bin_and_item_counts_one_unit() -> None:
    assert rules.check_scan(a_line(), "LA0101", resolve_scan(EAN, BARCODES), 1) == 1


def test_a_case_barcode_counts_its_multiplier() -> None:
    assert rules.check_scan(a_line(quantity=24), "LA0101", resolve_scan(CASE, BARCODES), 2) == 24


def test_the_wrong_bin_is_refused() -> None:
    with pytest.raises(Refused) as refusal:
        rules.check_scan(a_line(), "LB0202", resolve_scan(EAN, BARCODES), 1)
    assert refusal.value.code == "wrong_bin"


def test_the_wrong_item_is_refused() -> None:
    with pytest.raises(Refused) as refusal:
        rules.check_scan(a_line(), "LA0101", resolve_scan(OTHER, BARCODES), 1)
    assert refusal.value.code == "wrong_item"


def test_an_unknown_barcode_is_refused() -> None:
    with pytest.raises(Refused) as refusal:
        resolve_scan("9999", BARCODES)
    assert refusal.value.code == "unknown_barcode"


def test_an_over_pick_is_refused_on_the_device() -> None:
    with pytest.raises(Refused) as refusal:
        rules.check_scan(a_line(quantity=10, picked=5), "LA0101", resolve_scan(CASE, BARCODES), 1)
    assert refusal.value.code == "over_pick" and refusal.value.context["remaining"] == 5


def test_marked_goods_need_the_units_marking_code_one_unit_at_a_time() -> None:
    with pytest.raises(Refused) as missing:
        rules.check_scan(a_line(marked=True), "LA0101", resolve_scan(EAN, BARCODES), 1)
    assert missing.value.code == "marking_code_required"
    code = f"]d201{EAN.rjust(14, '0')}21ABC123xyz0123\x1d93dGVz"
    item = resolve_scan(code, BARCODES)
    assert item.marking_code == f"01{EAN.rjust(14, '0')}21ABC123xyz0123"
    assert rules.check_scan(a_line(marked=True), "LA0101", item, 1) == 1
    with pytest.raises(Refused) as many:
        rules.check_scan(a_line(marked=True), "LA0101", item, 2)
    assert many.value.code == "marking_code_per_unit"


def test_a_gs1_string_without_symbology_prefix_resolves_by_gtin() -> None:
    assert resolve_scan(f"01{EAN.rjust(14, '0')}17271231", BARCODES) == ScannedItem(7, 1)


def test_the_server_records_an_over_pick_as_a_fact_and_reports_the_excess() -> None:
    outcome = rules.apply_pick(a_line(quantity=5, picked=4), 3)
    assert (outcome.line.picked, outcome.within, outcome.over) == (7, 1, 2)


def test_a_short_pick_needs_a_reason_and_cannot_exceed_what_is_left() -> None:
    with pytest.raises(Refused) as no_reason:
        rules.short_pick(a_line(), 1, "lazy")
    with pytest.raises(Refused) as too_many:
        rules.short_pick(a_line(quantity=5, picked=3), 3, "bin_empty")
    assert (no_reason.value.code, too_many.value.code) == ("short_reason_invalid", "short_exceeds_remaining")
    shorted = rules.short_pick(a_line(quantity=5, picked=3), 2, "damaged")
    assert shorted.done and shorted.remaining == 0 and shorted.short_reason == "damaged"


def test_a_pick_list_is_held_by_one_device_at_a_time() -> None:
    rules.claim(None, None, "dev-a", "open")
    rules.claim("dev-a", None, "dev-a", "open")  # claiming again is harmless
    with pytest.raises(Refused) as held:
        rules.claim("dev-a", None, "dev-b", "open")
    with pytest.raises(Refused) as assigned:
        rules.claim(None, "dev-a", "dev-b", "open")
    with pytest.raises(Refused) as closed:
        rules.claim(None, None, "dev-a", "done")
    assert (held.value.code, assigned.value.code, closed.value.code) == ("pick_list_claimed", "pick_list_assigned_elsewhere", "pick_list_closed")
    with pytest.raises(Refused) as release:
        rules.release("dev-a", "dev-b")
    assert release.value.code == "pick_list_not_held"


def test_lines_are_planned_over_bins_in_walking_order() -> None:
    bins = [rules.BinRequest(30, 300, 5), rules.BinRequest(10, 100, 2), rules.BinRequest(20, 200, 10)]
    assert rules.plan_pick_lines(1, 1, 7, 9, bins) == [(10, 100, 2), (20, 200, 7)]


def test_a_shortfall_in_the_record_goes_to_the_first_bin_to_be_shorted_there() -> None:
    bins = [rules.BinRequest(20, 200, 1), rules.BinRequest(10, 100, 1)]
    assert rules.plan_pick_lines(1, 1, 7, 5, bins) == [(10, 100, 4), (20, 200, 1)]
    with pytest.raises(Refused) as refusal:
        rules.plan_pick_lines(1, 1, 7, 5, [])
    assert refusal.value.code == "no_bin_for_product"
