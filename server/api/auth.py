"""Bearer-token authentication and role guards."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.usecases.devices import DEVICE_TOKEN_PREFIX, DevicePrincipal, authenticate_device
from server.usecases.tokens import Principal, Role, authenticate

# Everything needs a token except the PWA's static files, health, and the API documentation.
PUBLIC_PATHS = ["^/$", "^/pwa", "^/health$", "^/schema", "^/favicon", "^/web(/|$)"]  # /web: the pages' own session guard


class DeviceRevoked(NotAuthorizedException):
    code = "device_revoked"


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """Resolve `Authorization: Bearer <token>` to a Principal or a DevicePrincipal, or answer 401."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required")
        db = connection.app.state.db
        if token.startswith(DEVICE_TOKEN_PREFIX):
            device = await authenticate_device(db, token)
            if device == "revoked":
                raise DeviceRevoked("this device has been revoked; enroll it again")
            principal = device
        else:
            principal = await authenticate(db, token)
        if principal is None:
            raise NotAuthorizedException("the token is unknown or revoked")
        return AuthenticationResult(user=principal, auth=None)


def devices_only(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Sync endpoints take device tokens only."""
    if not isinstance(connection.user, DevicePrincipal):
        raise PermissionDeniedException("this endpoint is for enrolled devices")


devices_only.roles = frozenset({"device"})  # type: ignore[attr-defined]


def allow(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard that lets only the given roles through (403 for the others)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.role not in allowed:
            raise PermissionDeniedException(f"role {principal.role} may not do this")

    guard.__name__ = "allow_" + "_".join(sorted(allowed))
    guard.roles = allowed  # type: ignore[attr-defined]  # read by the authorization tests
    return guard


ANY = tuple(Role)
OFFICE = (Role.ADMIN, Role.OFFICE)
ORDER_WRITERS = (Role.ADMIN, Role.OFFICE, Role.INTEGRATION)
STAFF = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)


def visible_warehouse(principal: Principal) -> int | None:
    """The warehouse a principal is bound to, or None for company-wide roles."""
    return principal.warehouse_id


def check_warehouse(principal: Principal, warehouse_id: int) -> None:
    """Refuse a principal bound to one warehouse acting on another."""
    if principal.warehouse_id is not None and principal.warehouse_id != warehouse_id:
        raise PermissionDeniedException("this token is bound to another warehouse")
