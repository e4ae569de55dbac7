"""Signing in and out, and the language switch."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from server.clock import now
from server.usecases import throttle, users
from server.web.i18n import LOCALES
from server.web.rendering import Pages
from server.web.security import FORM_COOKIE, LANG_COOKIE, PREFIX, SESSION_COOKIE, CsrfRefused, new_form_token, safe_next, tokens_match
from sync.database import Database

FLASH = {"bye": "login.signed_out", "expired": "login.expired"}
YEAR = 365 * 24 * 3600


def _cookie_args(pages: Pages, request: Request) -> dict:
    return {"path": PREFIX, "httponly": True, "secure": pages.config.secure_for(request.url.scheme)}


class AuthPages(Controller):
    path = PREFIX
    include_in_schema = False

    @get("/", name="web-home")
    async def home(self) -> Redirect:
        return Redirect(f"{PREFIX}/dashboard", status_code=303)

    @get("/login", name="web-login")
    async def login_form(self, request: Request, pages: Pages) -> Response:
        return self._login_page(request, pages, message=FLASH.get(request.query_params.get("msg", "")))

    def _login_page(
        self, request: Request, pages: Pages, *, message: str | None = None, status: int = 200, username: str = "", until: str = "",
        next_target: str | None = None,
    ) -> Response:
        token = request.cookies.get(FORM_COOKIE) or new_form_token()
        response = pages.page(
            request, "login.html", None, status=status, csrf=token, message=message, until=until, username=username,
            next=safe_next(next_target or request.query_params.get("next")),
        )  # fmt: skip
        # SameSite=Strict: a form posted from another site arrives without it, so its token cannot match.
        response.set_cookie(FORM_COOKIE, token, samesite="strict", **_cookie_args(pages, request))
        return response

    @post("/login", name="web-login-post", status_code=303)
    async def login(self, request: Request, db: Database, pages: Pages) -> Response:
        form = await request.form()
        if not tokens_match(form.get("csrf"), request.cookies.get(FORM_COOKIE)):
            raise CsrfRefused("the login form's token is missing or wrong")
        username = str(form.get("username", ""))[:100].strip()
        password = str(form.get("password", ""))[:1024]
        key = f"login:{request.client.host if request.client else 'unknown'}"
        try:
            await throttle.check(db, key, now())
        except throttle.TooManyAttempts as locked:  # one address trying too many passwords: no check at all
            return self._login_page(request, pages, message="login.account_locked", status=429, until=locked.until.strftime("%H:%M"),
                                    username=username, next_target=str(form.get("next", "")))  # fmt: skip
        result = await users.login(db, username, password)
        if result.refusal == "credentials_invalid":
            await throttle.record_failure(db, key, now(), throttle.LOGIN)
        if result.cookie is None:
            status = 429 if result.refusal == "account_locked" else 401
            until = result.locked_until.strftime("%H:%M") if result.locked_until else ""
            return self._login_page(
                request, pages, message=f"login.{result.refusal}", status=status, until=until, username=username,
                next_target=str(form.get("next", "")),
            )  # fmt: skip
        response = Redirect(safe_next(str(form.get("next", ""))), status_code=303)
        response.set_cookie(
            SESSION_COOKIE, result.cookie, samesite="lax", max_age=int(users.SESSION_TTL.total_seconds()), **_cookie_args(pages, request)
        )
        return response

    @post("/logout", name="web-logout", status_code=303)
    async def logout(self, request: Request, db: Database) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        user = await users.session_user(db, cookie)
        form = await request.form()
        if user is not None:
            if not tokens_match(form.get("csrf"), user.csrf_token):
                raise CsrfRefused("the logout form's token is missing or wrong")
            await users.logout(db, cookie)
        response = Redirect(f"{PREFIX}/login?msg=bye", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    @post("/lang", name="web-lang", status_code=303)
    async def language(self, request: Request, db: Database, pages: Pages) -> Response:
        """Switch the language: remembered on the account when signed in, and in a cookie either way."""
        form = await request.form()
        user = await users.session_user(db, request.cookies.get(SESSION_COOKIE, ""))
        expected = user.csrf_token if user else request.cookies.get(FORM_COOKIE)
        if not tokens_match(form.get("csrf"), expected):
            raise CsrfRefused("the language form's token is missing or wrong")
        locale = str(form.get("locale", ""))
        if locale in LOCALES and user is not None:
            await users.set_locale(db, user.user_id, locale)
        target = str(form.get("next", ""))
        response = Redirect(safe_next(target, f"{PREFIX}/login" if user is None else f"{PREFIX}/dashboard"), status_code=303)
        if locale in LOCALES:
            response.set_cookie(LANG_COOKIE, locale, samesite="lax", max_age=YEAR, **_cookie_args(pages, request))
        return response
