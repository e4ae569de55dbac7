"""Failures on the pages answer with pages (and sign-in redirects), not with problem documents."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from server.domain.refusals import NotFound, Refused
from server.web.rendering import Pages
from server.web.security import PREFIX, CsrfRefused

log = logging.getLogger("tally.web")


def exception_handlers(pages: Pages) -> dict:
    """Router-level handlers for everything under /web (they override the API's problem documents there)."""

    def page(request: Request, status: int, message_key: str, **values: object) -> Response:
        user = request.state.get("web_user")
        return pages.page(request, "error.html", user, status=status, status_code=status, message_key=message_key, values=values)

    def sign_in(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        query = urlencode({"next": target}) if request.method == "GET" else ""
        return Redirect(f"{PREFIX}/login" + (f"?{query}" if query else ""), status_code=303)

    def forbidden(request: Request, exc: Exception) -> Response:
        return page(request, 403, "error.csrf" if isinstance(exc, CsrfRefused) else "error.403")

    def not_found(request: Request, _exc: Exception) -> Response:
        return page(request, 404, "error.404")

    def refused(request: Request, exc: Refused) -> Response:
        return page(request, 422, "error.422", message=exc.message)

    def bad_request(request: Request, _exc: Exception) -> Response:
        return page(request, 400, "error.400")

    def http_error(request: Request, exc: HTTPException) -> Response:
        handler = {401: sign_in, 403: forbidden, 404: not_found, 400: bad_request}.get(exc.status_code)
        return handler(request, exc) if handler else page(request, exc.status_code, "error.400")

    def internal(request: Request, exc: Exception) -> Response:
        log.exception("page failed: %s %s", request.method, request.url.path, exc_info=exc)
        return page(request, 500, "error.500")

    return {
        401: sign_in,
        403: forbidden,
        404: not_found,
        400: bad_request,
        NotFound: not_found,
        Refused: refused,
        HTTPException: http_error,
        Exception: internal,
    }
