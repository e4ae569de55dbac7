"""Packing rules: SSCC blocks and labels, opening, filling and closing parcels, pallets."""

from __future__ import annotations

import pytest

from labels.gs1 import append_check_digit, build_sscc
from server.domain import packing as rules
from server.domain.refusals import Refused
from server.domain.scanning import BarcodeRef, resolve_scan

EAN = append_check_digit("460123456789")
CASE = append_check_digit("1" + EAN[:-1])
OTHER = append_check_digit("460999999999")
BARCODES = {EAN: BarcodeRef(7, 1), CASE: BarcodeRef(7, 12), OTHER: BarcodeRef(8, 1)}
BLOCK = rules.SsccBlock(1, 0, "4601234", 1001, 1500)
UNIT = f"]d201{EAN.rjust(14, '0')}21SER0001abcde\x1d93Ab12"
UNIT_CODE = f"01{EAN.rjust(14, '0')}21SER0001abcde"


def an_order(picked: dict[int, int] | None = None, status: str = "checked", parcels=(), marked=frozenset()) -> rules.OrderPack:  # noqa: ANN001
    return rules.OrderPack(10, status, {7: 24} if picked is None else picked, tuple(parcels), marked)


def a_parcel(items: dict[int, int] | None = None, status: str = "open", sscc: str | None = None, **kw) -> rules.Parcel:  # noqa: ANN003
    return rules.Parcel("p-1", sscc or BLOCK.sscc(1001), 10, status, items or {}, **kw)


def refusal(call) -> str:  # noqa: ANN001
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.code


# --- SSCC blocks ------------------------------------------------------------------------------------
def test_a_blocks_ssccs_are_built_from_extension_prefix_and_serial_with_a_check_digit() -> None:
    assert BLOCK.sscc(1001) == build_sscc(0, "4601234", "000001001")
    assert len(BLOCK.sscc(1500)) == 18 and BLOCK.serial_of(BLOCK.sscc(1500)) == 1500
    assert BLOCK.serial_of(build_sscc(0, "4601234", "000001000")) is None  # just below the block
    assert BLOCK.serial_of(build_sscc(1, "4601234", "000001001")) is None  # another extension digit


def test_an_sscc_with_a_wrong_check_digit_is_invalid() -> None:
    good = BLOCK.sscc(1001)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert refusal(lambda: rules.check_new_sscc(bad, [BLOCK], set())) == "sscc_invalid"
    assert refusal(lambda: rules.check_new_sscc("12345", [BLOCK], set())) == "sscc_invalid"


def test_an_sscc_outside_the_devices_blocks_is_not_allocated() -> None:
    assert refusal(lambda: rules.check_new_sscc(build_sscc(0, "4601234", "000002000"), [BLOCK], set())) == "sscc_not_allocated"
    assert refusal(lambda: rules.check_new_sscc(BLOCK.sscc(1001), [], set())) == "sscc_not_allocated"


def test_an_sscc_is_used_once() -> None:
    assert rules.check_new_sscc(BLOCK.sscc(1001), [BLOCK], set()) == BLOCK
    assert refusal(lambda: rules.check_new_sscc(BLOCK.sscc(1001), [BLOCK], {BLOCK.sscc(1001)})) == "sscc_used"


def test_the_next_label_is_the_lowest_unused_serial_oldest_block_first() -> None:
    later = rules.SsccBlock(2, 0, "4601234", 5001, 5002)
    assert rules.next_sscc([later, BLOCK], set()) == BLOCK.sscc(1001)
    assert rules.next_sscc([BLOCK], {BLOCK.sscc(1001), BLOCK.sscc(1002)}) == BLOCK.sscc(1003)
    assert rules.next_sscc([BLOCK, later], set(), after={1: 1501}) == later.sscc(5001)  # block 1 spent before a reset
    assert refusal(lambda: rules.next_sscc([later], {later.sscc(5001), later.sscc(5002)})) == "sscc_exhausted"


def test_a_blocks_bounds_enclose_exactly_its_ssccs() -> None:
    lo, hi = BLOCK.bounds()
    assert lo <= BLOCK.sscc(1001) <= BLOCK.sscc(1500) <= hi
    assert not lo <= build_sscc(0, "4601234", "000001000") <= hi
    assert not lo <= build_sscc(0, "4601234", "000001501") <= hi


# --- opening ------------------------------------------------------------------------------------------
def test_a_parcel_opens_for_a_checked_order_under_a_free_label() -> None:
    parcel = rules.open_parcel(an_order(), "p-1", BLOCK.sscc(1001), [BLOCK], set())
    assert (parcel.status, parcel.order_id, parcel.items) == ("open", 10, {})


@pytest.mark.parametrize("status", ["confirmed", "picking", "picked"])
def test_packing_waits_for_the_check(status: str) -> None:
    assert refusal(lambda: rules.open_parcel(an_order(status=status), "p-1", BLOCK.sscc(1001), [BLOCK], set())) == "order_not_checked"


def test_a_packed_or_cancelled_order_takes_no_new_parcel() -> None:
    assert refusal(lambda: rules.check_packable("packed")) == "order_already_packed"
    assert refusal(lambda: rules.check_packable("cancelled")) == "order_cancelled"


def test_a_parcel_id_is_opened_once() -> None:
    order = an_order(parcels=[a_parcel()])
    assert refusal(lambda: rules.open_parcel(order, "p-1", BLOCK.sscc(1002), [BLOCK], set())) == "parcel_exists"


# --- filling --------------------------------------------------------------------------------------------
def test_a_scan_packs_its_units_and_a_case_counts_its_multiplier() -> None:
    order = an_order()
    assert rules.check_pack(order, a_parcel(), resolve_scan(EAN, BARCODES), 3) == 3
    assert rules.check_pack(order, a_parcel(), resolve_scan(CASE, BARCODES), 2) == 24


def test_packing_more_than_was_picked_is_an_over_pack() -> None:
    parcel = a_parcel({7: 20})
    order = an_order(parcels=[parcel])
    with pytest.raises(Refused) as caught:
        rules.check_pack(order, parcel, resolve_scan(EAN, BARCODES), 5)
    assert caught.value.code == "over_pack" and caught.value.context["left"] == 4


def test_units_in_another_parcel_of_the_order_count_against_the_picked_quantity() -> None:
    first = rules.Parcel("p-0", BLOCK.sscc(1002), 10, "closed", {7: 24}, 900)
    order = an_order(parcels=[first, a_parcel()])
    assert refusal(lambda: rules.check_pack(order, a_parcel(), resolve_scan(EAN, BARCODES), 1)) == "over_pack"


def test_an_item_not_picked_for_the_order_is_refused() -> None:
    assert refusal(lambda: rules.check_pack(an_order(), a_parcel(), resolve_scan(OTHER, BARCODES), 1)) == "item_not_in_order"


def test_a_closed_parcel_takes_nothing_more() -> None:
    parcel = a_parcel({7: 1}, status="closed")
    assert refusal(lambda: rules.check_pack(an_order(), parcel, resolve_scan(EAN, BARCODES), 1)) == "parcel_not_open"


def test_marked_goods_are_packed_one_unit_at_a_time_with_a_code_picked_for_the_order() -> None:
    order = an_order({7: 2}, marked={7})
    item = resolve_scan(UNIT, BARCODES)
    assert refusal(lambda: rules.check_pack(order, a_parcel(), resolve_scan(EAN, BARCODES), 1)) == "marking_code_required"
    assert refusal(lambda: rules.check_pack(order, a_parcel(), item, 2, {UNIT_CODE: rules.MarkingCode(10)})) == "marking_code_per_unit"
    assert refusal(lambda: rules.check_pack(order, a_parcel(), item, 1, {})) == "marking_code_not_picked"
    assert refusal(lambda: rules.check_pack(order, a_parcel(), item, 1, {UNIT_CODE: rules.MarkingCode(11)})) == "marking_code_not_picked"
    assert refusal(lambda: rules.check_pack(order, a_parcel(), item, 1, {UNIT_CODE: rules.MarkingCode(10, "p-9")})) == "marking_code_packed"
    assert rules.check_pack(order, a_parcel(), item, 1, {UNIT_CODE: rules.MarkingCode(10)}) == 1


def test_packing_adds_units_to_the_parcel() -> None:
    parcel = rules.pack(rules.pack(a_parcel(), 7, 2), 7, 3)
    assert parcel.items == {7: 5} and parcel.units(8) == 0


# --- closing ----------------------------------------------------------------------------------------------
def test_a_parcel_closes_with_its_weight() -> None:
    closed = rules.close_parcel(a_parcel({7: 2}), 1250)
    assert (closed.status, closed.weight_g) == ("closed", 1250)
    assert refusal(lambda: rules.close_parcel(closed, 1250)) == "parcel_not_open"


def test_an_empty_parcel_or_a_weightless_one_is_not_closed() -> None:
    assert refusal(lambda: rules.close_parcel(a_parcel(), 100)) == "parcel_empty"
    assert refusal(lambda: rules.close_parcel(a_parcel({7: 1}), 0)) == "weight_invalid"


def test_the_order_is_packed_when_every_picked_unit_is_in_a_closed_parcel() -> None:
    one = rules.Parcel("a", BLOCK.sscc(1001), 10, "closed", {7: 20}, 500)
    two_open = rules.Parcel("b", BLOCK.sscc(1002), 10, "open", {7: 4})
    assert not rules.fully_packed(an_order(parcels=[one, two_open]))
    assert rules.fully_packed(an_order(parcels=[one, rules.close_parcel(two_open, 100)]))
    assert not rules.fully_packed(an_order(picked={}, parcels=[]))  # nothing picked: nothing to pack


# --- pallets -----------------------------------------------------------------------------------------------
def test_closed_parcels_go_on_a_pallet_once() -> None:
    pallet = BLOCK.sscc(1500)
    a = rules.Parcel("a", BLOCK.sscc(1001), 10, "closed", {7: 1}, 100)
    b = rules.Parcel("b", BLOCK.sscc(1002), 11, "closed", {7: 1}, 100)
    stacked = rules.palletize(pallet, [a, b])
    assert {p.pallet_sscc for p in stacked} == {pallet}
    assert rules.palletize(pallet, stacked)[0].pallet_sscc == pallet  # again onto the same pallet: harmless
    assert refusal(lambda: rules.palletize(BLOCK.sscc(1499), stacked)) == "parcel_on_pallet"
    assert refusal(lambda: rules.palletize(pallet, [rules.Parcel("c", BLOCK.sscc(1003), 10)])) == "parcel_not_closed"
    assert refusal(lambda: rules.palletize(pallet[:-1] + "x", [a])) == "sscc_invalid"
