"""HTTP handlers for enrolling, listing and revoking devices."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Request, get, post

from server.api.auth import allow
from server.reads.devices import list_devices
from server.clock import now
from server.domain.refusals import Refused
from server.usecases import devices as usecases
from server.usecases import throttle
from server.usecases.tokens import Role
from server.wire.devices import DeviceStatus, EnrolledDevice, EnrollmentCode, EnrollmentCreate, EnrollRequest
from sync.database import Database

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)


class DeviceController(Controller):
    path = "/api/devices"
    tags = ["devices"]

    @post("/enrollments", guards=[allow(*MANAGERS)], operation_id="createEnrollment", status_code=201)
    async def create_enrollment(self, db: Database, request: Request, data: EnrollmentCreate) -> EnrollmentCode:
        """A one-time code (15 minutes) to enroll one device with a role and a scope."""
        scope = {"courier_id": data.courier_id} if data.role == "courier" else {"warehouse_id": data.warehouse_id}
        scope = {k: v for k, v in scope.items() if v is not None}
        enrollment = await usecases.create_enrollment(
            db, request.user.actor.id, data.role, scope, bound_warehouse=request.user.warehouse_id
        )
        server = request.app.state.settings.public_url
        qr = f"{server}/#enroll={quote(enrollment.code)}"
        return EnrollmentCode(enrollment.code, enrollment.role, enrollment.scope, enrollment.expires_at, qr)

    @post("/enroll", operation_id="enrollDevice", status_code=201, exclude_from_auth=True, security=[])
    async def enroll(self, db: Database, request: Request, data: EnrollRequest) -> EnrolledDevice:
        """Trade an enrollment code for a device token (shown once). Needs no token; wrong codes are
        throttled per client address (429 `too_many_attempts` with Retry-After)."""
        key = f"enroll:{request.client.host if request.client else 'unknown'}"
        await throttle.check(db, key, now())
        try:
            enrolled = await usecases.enroll(db, data.code, data.name, data.app_version, request.app.state.settings)
        except Refused as refusal:
            if refusal.code in ("enrollment_invalid", "enrollment_expired"):
                await throttle.record_failure(db, key, now(), throttle.ENROLLMENT)
            raise
        return EnrolledDevice(
            enrolled.device_id, enrolled.token, enrolled.name, enrolled.role, enrolled.scope,
            request.app.state.settings.public_url,
        )  # fmt: skip

    @get("/", guards=[allow(*MANAGERS)], operation_id="listDevices")
    async def list(self, db: Database, request: Request) -> list[DeviceStatus]:
        """Every device with its sync status (a warehouse-bound account sees its own warehouse)."""
        async with db.read() as conn:
            return await list_devices(conn, request.app.state.sync, request.user.warehouse_id)

    @post("/{device_id:str}/revoke", guards=[allow(*MANAGERS)], operation_id="revokeDevice", status_code=204)
    async def revoke(self, db: Database, request: Request, device_id: str) -> None:
        """Revoke a device at once; what it pushed before stays."""
        await usecases.revoke_device(db, device_id, bound_warehouse=request.user.warehouse_id)
