"""The one place that turns failures into problem documents (RFC 9457) with a stable `code`."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from server.domain.refusals import NotFound, Refused
from sync.errors import SyncError

log = logging.getLogger("tally.api")

PROBLEM = "application/problem+json"

# Refusals that describe a conflict with the current state (retrying the same request will not
# help until the state changes) answer 409; other refusals are unprocessable input (422).
CONFLICTS = frozenset(
    {
        "transition_not_allowed",
        "insufficient_stock",
        "idempotency_key_reused",
        "sku_taken",
        "barcode_taken",
        "location_taken",
        "warehouse_code_taken",
        "stock_reserved",
        "stock_negative",
        "enrollment_invalid",
        "enrollment_expired",
        "external_id_reused",
        "intake_done",
        "handover_closed",
        "parcel_already_returned",
    }
)

# Refusals that say "not now": the same request succeeds after Retry-After seconds.
RATE_LIMITED = frozenset({"too_many_attempts"})

STATUS_CODES = {
    400: "invalid_body",  # undecodable bodies; bad parameters come as ValidationException
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    """A problem document response."""
    body = {"type": "about:blank", "title": code.replace("_", " "), "status": status, "code": code, "detail": detail}
    return Response(content=body | extra, status_code=status, media_type=PROBLEM)


MEMBERS = frozenset({"type", "title", "status", "code", "detail"})


def _context(context: dict[str, Any]) -> dict[str, Any]:
    """A refusal's context as extra members: never one of the document's own (a context key `status`
    once collided with the HTTP status and turned every refused transition into a 500)."""
    return {k: v for k, v in context.items() if k not in MEMBERS}


def refused_to_response(_request: Request, exc: Refused) -> Response:
    status = 404 if isinstance(exc, NotFound) else 409 if exc.code in CONFLICTS else 429 if exc.code in RATE_LIMITED else 422
    response = problem(status, exc.code, exc.message, **_context(exc.context))
    if "retry_after" in exc.context:
        response.headers["Retry-After"] = str(exc.context["retry_after"])
    return response


def sync_error_to_response(_request: Request, exc: SyncError) -> Response:
    response = problem(exc.status, exc.code, exc.message, **_context(exc.context))
    if "retry_after" in exc.context:
        response.headers["Retry-After"] = str(exc.context["retry_after"])
    return response


def validation_to_response(_request: Request, exc: ValidationException) -> Response:
    errors = exc.extra if isinstance(exc.extra, list) else []
    in_body = any(isinstance(e, dict) and e.get("source") == "body" for e in errors) or not errors
    messages = [
        f"{e['key']}: {e.get('message', '')}" if e.get("key") and e["key"] not in e.get("message", "") else e.get("message", "")
        for e in errors
        if isinstance(e, dict)
    ]
    detail = "; ".join(m for m in messages if m) or exc.detail
    return problem(400, "invalid_body" if in_body else "invalid_parameter", detail, errors=errors)


def http_to_response(_request: Request, exc: HTTPException) -> Response:
    code = getattr(exc, "code", None) or STATUS_CODES.get(exc.status_code, "http_error")
    headers = exc.headers or {}
    response = problem(exc.status_code, code, exc.detail)
    response.headers.update(headers)
    return response


def internal_to_response(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal_error", "the server failed; the request had no effect")


EXCEPTION_HANDLERS = {
    Refused: refused_to_response,
    SyncError: sync_error_to_response,
    ValidationException: validation_to_response,
    HTTPException: http_to_response,
    Exception: internal_to_response,
}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "problem"]
