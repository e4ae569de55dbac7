"""Loading rules (погрузка, отгрузка): parcels onto a route's vehicle, and dispatch.

A loader scans parcel (or pallet) SSCCs onto a route. A parcel whose order is not a stop of the
route is refused on the device; if such a load still reaches the server it happened, so it is
recorded and reported. A route leaves only with every parcel of every stop aboard, unless a
supervisor overrides with a reason. Loading moves no stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from labels.errors import GS1Error
from labels.gs1_parse import parse_gs1
from server.domain.lifecycle import OrderStatus
from server.domain.packing import IN_WAREHOUSE, Parcel, ParcelStatus
from server.domain.refusals import Refused


class RouteStatus(StrEnum):
    PLANNED = "planned"
    LOADING = "loading"
    DISPATCHED = "dispatched"
    COMPLETED = "completed"


OPEN_ROUTE = frozenset({RouteStatus.PLANNED, RouteStatus.LOADING})


@dataclass(frozen=True, slots=True)
class Route:
    id: int
    status: str
    stops: tuple[int, ...]  # order ids in stop order


@dataclass(frozen=True, slots=True)
class Dispatch:
    """What a dispatch does: the route leaves; the orders with parcels aboard go out for delivery."""

    route: Route
    missing: dict[int, list[str]]  # order id -> SSCCs not aboard ("" for an order with no parcel yet)
    leaving: tuple[int, ...]  # orders with every parcel aboard, or (override) at least one
    left_behind: tuple[int, ...]  # orders with nothing aboard (override only)


def scanned_sscc(code: str) -> str:
    """The SSCC a scan names: the 18 digits themselves, or a GS1 string with AI (00)."""
    code = code.strip("\r\n")
    if len(code) == 18 and code.isascii() and code.isdigit():
        return code
    try:
        sscc = parse_gs1(code).sscc
    except GS1Error as error:
        raise Refused("sscc_invalid", f"not an SSCC label: {code!r}", scanned=code) from error
    if sscc is None:
        raise Refused("sscc_invalid", f"not an SSCC label: {code!r}", scanned=code)
    return sscc


def check_load(route: Route, parcels: Sequence[Parcel]) -> None:
    """The device's check of one load scan (a parcel, or the parcels of a pallet)."""
    if not parcels:
        raise Refused("parcel_unknown", "no parcel or pallet has this SSCC")
    if route.status not in OPEN_ROUTE:
        raise Refused("route_dispatched", f"the route is {route.status}")
    for parcel in parcels:
        if parcel.order_id not in route.stops:
            raise Refused("wrong_route", f"parcel {parcel.sscc} belongs to another route", sscc=parcel.sscc)
        if parcel.status == ParcelStatus.OPEN:
            raise Refused("parcel_not_closed", f"parcel {parcel.sscc} is still open", sscc=parcel.sscc)
        if parcel.status not in IN_WAREHOUSE:
            raise Refused("parcel_not_in_warehouse", f"parcel {parcel.sscc} is {parcel.status}", sscc=parcel.sscc)
    if all(p.status == ParcelStatus.LOADED and p.route_id == route.id for p in parcels):
        raise Refused("parcel_already_loaded", "already on this vehicle")


def load_parcel(route: Route, parcel: Parcel) -> tuple[Parcel, bool]:
    """Record a parcel on the route's vehicle (a fact); report whether it is the wrong route."""
    return replace(parcel, status=ParcelStatus.LOADED, route_id=route.id), parcel.order_id not in route.stops


def start_loading(route: Route) -> Route:
    """The first parcel aboard starts loading a planned route."""
    return replace(route, status=RouteStatus.LOADING) if route.status == RouteStatus.PLANNED else route


def aboard(route: Route, parcels: Sequence[Parcel]) -> bool:
    """Every parcel of an order still in the warehouse is on this route's vehicle."""
    going = [p for p in parcels if p.status in IN_WAREHOUSE]
    return bool(going) and all(p.status == ParcelStatus.LOADED and p.route_id == route.id for p in going)


def dispatch(route: Route, parcels: Mapping[int, Sequence[Parcel]], order_status: Mapping[int, str],
             override_reason: str | None = None) -> Dispatch:  # fmt: skip
    """Check a dispatch: refused with the missing SSCCs (`parcels_missing`) unless overridden.

    `parcels` holds each stop order's parcels; cancelled orders do not ship and are skipped.
    """
    if route.status not in OPEN_ROUTE:
        raise Refused("route_dispatched", f"the route is {route.status}", route_status=route.status)
    stops = [o for o in route.stops if order_status.get(o) != OrderStatus.CANCELLED]
    if not stops:
        raise Refused("route_empty", "the route has no order to deliver")
    if override_reason is not None and not override_reason.strip():
        raise Refused("override_reason_required", "an override needs a reason")
    missing: dict[int, list[str]] = {}
    leaving, behind = [], []
    for order_id in stops:
        going = [p for p in parcels.get(order_id, ()) if p.status in IN_WAREHOUSE]
        absent = [p.sscc for p in going if not (p.status == ParcelStatus.LOADED and p.route_id == route.id)]
        if not going:
            absent = [""]
        if absent:
            missing[order_id] = absent
        (leaving if len(absent) < len(going) or not absent else behind).append(order_id)
    if missing and override_reason is None:
        listed = "; ".join(f"order {o}: " + (", ".join(s for s in ss if s) or "not packed") for o, ss in missing.items())
        raise Refused("parcels_missing", f"not on the vehicle: {listed}",
                      missing=sorted(s for ss in missing.values() for s in ss if s))  # fmt: skip
    return Dispatch(replace(route, status=RouteStatus.DISPATCHED), missing, tuple(leaving), tuple(behind))
