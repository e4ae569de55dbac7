"""Loading rules: what a loader's scan may put on a vehicle, and when a route may leave."""

from __future__ import annotations

import pytest

from labels.gs1 import build_sscc
from server.domain import loading as rules
from server.domain.packing import Parcel
from server.domain.refusals import Refused

A1, A2, B1 = (build_sscc(0, "4601234", f"{n:09d}") for n in (1, 2, 3))
ROUTE = rules.Route(5, "planned", (10, 11))


def a_parcel(sscc: str, order_id: int = 10, status: str = "closed", route_id: int | None = None, **kw) -> Parcel:  # noqa: ANN003
    return Parcel(f"id-{sscc[-4:]}", sscc, order_id, status, {7: 1}, 100, route_id=route_id, **kw)


def refusal(call) -> str:  # noqa: ANN001
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.code


def test_a_scan_is_read_as_a_bare_sscc_or_a_gs1_string_with_ai_00() -> None:
    assert rules.scanned_sscc(A1) == A1
    assert rules.scanned_sscc(f"]C100{A1}") == A1
    assert rules.scanned_sscc(f"00{A1}\r\n") == A1
    assert refusal(lambda: rules.scanned_sscc("4601234567890")) == "sscc_invalid"  # an EAN, not a label
    assert refusal(lambda: rules.scanned_sscc("garbage")) == "sscc_invalid"


def test_a_closed_parcel_of_a_stop_loads() -> None:
    rules.check_load(ROUTE, [a_parcel(A1)])
    loaded, wrong = rules.load_parcel(ROUTE, a_parcel(A1))
    assert (loaded.status, loaded.route_id, wrong) == ("loaded", 5, False)


def test_a_parcel_of_another_route_is_refused_on_the_device_and_flagged_on_the_server() -> None:
    other = a_parcel(B1, order_id=99)
    assert refusal(lambda: rules.check_load(ROUTE, [other])) == "wrong_route"
    loaded, wrong = rules.load_parcel(ROUTE, other)
    assert loaded.route_id == 5 and wrong


def test_an_unknown_open_or_delivered_parcel_is_refused_on_the_device() -> None:
    assert refusal(lambda: rules.check_load(ROUTE, [])) == "parcel_unknown"
    assert refusal(lambda: rules.check_load(ROUTE, [a_parcel(A1, status="open")])) == "parcel_not_closed"
    assert refusal(lambda: rules.check_load(ROUTE, [a_parcel(A1, status="delivered")])) == "parcel_not_in_warehouse"


def test_a_parcel_already_aboard_or_a_route_gone_is_refused_on_the_device() -> None:
    assert refusal(lambda: rules.check_load(ROUTE, [a_parcel(A1, status="loaded", route_id=5)])) == "parcel_already_loaded"
    rules.check_load(ROUTE, [a_parcel(A1, status="loaded", route_id=6)])  # moved from another vehicle
    gone = rules.Route(5, "dispatched", (10,))
    assert refusal(lambda: rules.check_load(gone, [a_parcel(A1)])) == "route_dispatched"


def test_a_pallet_loads_when_every_parcel_on_it_belongs_to_the_route() -> None:
    on_pallet = [a_parcel(A1, pallet_sscc=B1), a_parcel(A2, order_id=11, pallet_sscc=B1)]
    rules.check_load(ROUTE, on_pallet)
    assert refusal(lambda: rules.check_load(ROUTE, [*on_pallet, a_parcel(B1, order_id=99)])) == "wrong_route"


def test_the_first_parcel_starts_loading_a_planned_route() -> None:
    assert rules.start_loading(ROUTE).status == "loading"
    assert rules.start_loading(rules.Route(5, "dispatched", ())).status == "dispatched"


def test_an_order_is_aboard_when_each_of_its_parcels_is_on_this_vehicle() -> None:
    assert rules.aboard(ROUTE, [a_parcel(A1, status="loaded", route_id=5), a_parcel(A2, status="loaded", route_id=5)])
    assert not rules.aboard(ROUTE, [a_parcel(A1, status="loaded", route_id=5), a_parcel(A2)])
    assert not rules.aboard(ROUTE, [a_parcel(A1, status="loaded", route_id=6)])
    assert not rules.aboard(ROUTE, [])


def test_dispatch_is_refused_with_the_missing_ssccs() -> None:
    parcels = {10: [a_parcel(A1, status="loaded", route_id=5), a_parcel(A2)], 11: [a_parcel(B1, 11, status="loaded", route_id=5)]}
    with pytest.raises(Refused) as caught:
        rules.dispatch(ROUTE, parcels, {10: "packed", 11: "loaded"})
    assert caught.value.code == "parcels_missing" and caught.value.context["missing"] == [A2]
    assert A2 in caught.value.message


def test_an_order_without_parcels_blocks_dispatch_as_not_packed() -> None:
    with pytest.raises(Refused) as caught:
        rules.dispatch(ROUTE, {10: [a_parcel(A1, status="loaded", route_id=5)]}, {10: "loaded", 11: "checked"})
    assert caught.value.code == "parcels_missing" and "order 11: not packed" in caught.value.message


def test_a_fully_loaded_route_dispatches_and_every_order_leaves() -> None:
    parcels = {10: [a_parcel(A1, status="loaded", route_id=5)], 11: [a_parcel(B1, 11, status="loaded", route_id=5)]}
    plan = rules.dispatch(ROUTE, parcels, {10: "loaded", 11: "loaded"})
    assert (plan.route.status, plan.leaving, plan.missing, plan.left_behind) == ("dispatched", (10, 11), {}, ())


def test_a_cancelled_stop_does_not_block_dispatch() -> None:
    plan = rules.dispatch(ROUTE, {10: [a_parcel(A1, status="loaded", route_id=5)]}, {10: "loaded", 11: "cancelled"})
    assert plan.leaving == (10,)
    assert refusal(lambda: rules.dispatch(rules.Route(5, "planned", (11,)), {}, {11: "cancelled"})) == "route_empty"


def test_an_override_dispatches_with_parcels_missing_and_leaves_empty_orders_behind() -> None:
    parcels = {10: [a_parcel(A1, status="loaded", route_id=5), a_parcel(A2)], 11: [a_parcel(B1, 11)]}
    plan = rules.dispatch(ROUTE, parcels, {10: "packed", 11: "packed"}, override_reason="vehicle must leave")
    assert plan.missing == {10: [A2], 11: [B1]}
    assert (plan.leaving, plan.left_behind) == ((10,), (11,))
    assert refusal(lambda: rules.dispatch(ROUTE, parcels, {}, override_reason="  ")) == "override_reason_required"


def test_a_dispatched_route_does_not_leave_twice() -> None:
    assert refusal(lambda: rules.dispatch(rules.Route(5, "dispatched", (10,)), {}, {})) == "route_dispatched"
