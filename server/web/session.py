"""The pages' own sign-in: a session cookie resolved by a guard, CSRF checked on every POST."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from server.reads.supervision import Visibility
from server.usecases.users import SessionUser, UserRole, session_user
from server.web.security import SESSION_COOKIE, CsrfRefused, tokens_match


class SignInRequired(NotAuthorizedException):
    """No live session: the page answers with a redirect to the login form."""

    code = "sign_in_required"


async def signed_in(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: a live session, and on a POST the session's CSRF token in the form."""
    user = await session_user(connection.app.state.db, connection.cookies.get(SESSION_COOKIE, ""))
    if user is None:
        raise SignInRequired("sign in first")
    connection.state.web_user = user
    if connection.scope["method"] == "POST":
        form = await connection.form() if isinstance(connection, Request) else {}
        if not tokens_match(form.get("csrf"), user.csrf_token):
            raise CsrfRefused("the form's CSRF token is missing or wrong")


# Who may change things from the pages, as the API allows it (device enrolment and revocation,
# check overrides): admins and supervisors. The office reads.
ACTORS = frozenset({UserRole.ADMIN, UserRole.SUPERVISOR})


def may_act(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard (after `signed_in`): only admins and supervisors may post changes."""
    if connection.state.web_user.role not in ACTORS:
        raise PermissionDeniedException("this account may look but not change")


def provide_user(request: Request) -> SessionUser:
    """The signed-in user the guard resolved (a dependency for page handlers)."""
    return request.state.web_user


def provide_visibility(request: Request) -> Visibility:
    """The warehouses the signed-in user may see."""
    return Visibility(request.state.web_user.warehouse_ids)
