"""Browser-facing security for the pages: response headers (a strict CSP), cookies, CSRF, redirects.

CSRF: every POST carries a hidden `csrf` field. Signed in, it must equal the session's own
token (stored with the session, compared in constant time). Before signing in (the login and
language forms) it must equal a random `tally_form` cookie, HttpOnly and SameSite=Strict, which
another site can neither read nor make the browser send.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/web"
SESSION_COOKIE = "tally_session"
FORM_COOKIE = "tally_form"
LANG_COOKIE = "tally_lang"

# No inline script or style anywhere: scripts and styles come from /web/static only.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class CsrfRefused(PermissionDeniedException):
    """A POST whose CSRF token is missing or wrong."""

    code = "csrf_refused"


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Settings of the pages, from `Settings` (`cookie_secure` None: Secure exactly when the request came over https)."""

    cookie_secure: bool | None = None

    def secure_for(self, scheme: str) -> bool:
        return scheme == "https" if self.cookie_secure is None else self.cookie_secure


class SecurityHeaders:
    """ASGI middleware adding the CSP and friends to every response under /web (error pages too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders(message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if (headers.get("content-type") or "").startswith(("text/html", "text/csv", "text/event-stream")):
                    # Pages show private data: never keep them in a shared or back-button cache.
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def tokens_match(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def safe_next(target: str | None, default: str = f"{PREFIX}/dashboard") -> str:
    """Only a path on these pages may follow a login or a form: never another site (open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not target.startswith(PREFIX + "/") or target.startswith("//"):
        return default
    return target
