"""Rendering pages: one Jinja environment (autoescape on for every template), locale-bound helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response
from litestar.enums import MediaType

from server.clock import now
from server.usecases.users import SessionUser
from server.web import formatting as f
from server.web.i18n import Translator, pick_locale
from server.web.security import FORM_COOKIE, LANG_COOKIE, PREFIX, WebConfig

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


class Fmt:
    """Formatting helpers bound to one locale and one "now" (templates call `fmt.money(...)`)."""

    def __init__(self, locale: str, at: datetime) -> None:
        self.locale, self.at = locale, at

    def money(self, minor: int | None, currency: str) -> str:
        return f.money(minor, currency, self.locale)

    def num(self, value: float | None, digits: int = 0) -> str:
        return f.number(value, self.locale, digits)

    def pct(self, value: float | None) -> str:
        return f.percent(value, self.locale)

    def dur(self, value: timedelta | float | None) -> str:
        return f.duration(value, self.locale)

    def ago(self, value: datetime | None) -> str:
        return f.ago(value, self.at, self.locale)

    when = staticmethod(f.when)
    when_short = staticmethod(f.when_short)
    day = staticmethod(f.day)
    clock = staticmethod(f.clock)


def url_with(request: Request, path: str | None = None, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None or "" removes one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v not in (None, "")})
    params = {k: v for k, v in params.items() if v not in (None, "")}
    target = path or request.url.path
    return f"{target}?{urlencode(params)}" if params else target


class Pages:
    """The templates and what every page needs: the translator, formatting, the CSRF token, static URLs."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,  # every template, whatever its name: data is text unless marked otherwise
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Static files carry a content hash in their URL, so a new version is never served from cache.
        self._versions = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for p in STATIC.iterdir() if p.is_file()}
        self.env.globals["static"] = lambda name: f"{PREFIX}/static/{name}?v={self._versions.get(name, '0')}"

    def locale_for(self, request: Request, user: SessionUser | None) -> str:
        return pick_locale(user.locale if user else None, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))

    def context(self, request: Request, user: SessionUser | None, extra: Mapping[str, Any]) -> dict[str, Any]:
        locale = self.locale_for(request, user)
        at = now()
        return {
            "t": Translator(locale),
            "fmt": Fmt(locale, at),
            "locale": locale,
            "now": at,
            "user": user,
            "can_act": user is not None and user.role in ("admin", "supervisor"),  # as session.ACTORS: the office reads
            "csrf": user.csrf_token if user else request.cookies.get(FORM_COOKIE, ""),
            "path": request.url.path,
            "nav": "",
            "here": url_with(request),
            "url_with": lambda path=None, **changes: url_with(request, path, **changes),
            **extra,
        }

    def text(self, request: Request, template: str, user: SessionUser | None, **extra: Any) -> str:
        return self.env.get_template(template).render(self.context(request, user, extra))

    def page(self, request: Request, template: str, user: SessionUser | None, *, status: int = 200, **extra: Any) -> Response:
        return Response(self.text(request, template, user, **extra), media_type=MediaType.HTML, status_code=status)
