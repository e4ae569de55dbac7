"""Wire structs for devices, enrollment, couriers and routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from server.wire.common import Id, ShortText

DeviceRoleName = Literal["picker", "checker", "packer", "loader", "warehouse", "courier"]


class EnrollmentCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: DeviceRoleName
    warehouse_id: Id | None = None  # for warehouse roles
    courier_id: Id | None = None  # for couriers


class EnrollmentCode(msgspec.Struct, frozen=True):
    code: str
    role: str
    scope: dict[str, int]
    expires_at: datetime
    qr_text: str  # what the QR code carries: the server URL and the code


class EnrollRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=4, max_length=32)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    app_version: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class EnrolledDevice(msgspec.Struct, frozen=True):
    device_id: str
    token: str  # shown once
    name: str
    role: str
    scope: dict[str, int]
    server_url: str


class DeviceStatus(msgspec.Struct, frozen=True):
    id: str
    name: str
    role: str
    scope: dict[str, int]
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    last_push_at: datetime | None
    last_pull_at: datetime | None
    last_seq: int
    pending: int | None
    cursor_lag: int  # changes in its scope it has not pulled yet
    app_version: str | None
    last_error: str | None
    clock_skew_ms: int | None


class CourierCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: ShortText
    warehouse_id: Id
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class Courier(msgspec.Struct, frozen=True):
    id: int
    name: str
    phone: str | None
    warehouse_id: int


class RouteCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    warehouse_id: Id
    day: date
    courier_id: Id
    order_ids: Annotated[list[Id], msgspec.Meta(max_length=500)]
    vehicle: Annotated[str, msgspec.Meta(max_length=64)] = ""


class RouteAssign(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    courier_id: Id


class Route(msgspec.Struct, frozen=True):
    id: int
    warehouse_id: int
    day: date
    courier_id: int
    vehicle: str
    status: str
    order_ids: list[int]
