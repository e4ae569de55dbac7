"""The supervisor pages as one Litestar router under /web, with their own sign-in, CSRF and headers."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from server.web.errors import exception_handlers
from server.web.pages.auth import AuthPages
from server.web.pages.dashboard import DashboardPage
from server.web.pages.devices import DevicePages
from server.web.pages.exceptions import ExceptionPages
from server.web.pages.orders import OrderPages
from server.web.pages.reports import ReportPages
from server.web.pages.routes import RoutePages
from server.web.rendering import STATIC, Pages
from server.web.security import SecurityHeaders, WebConfig
from server.web.session import provide_user, provide_visibility


def web_router(config: WebConfig) -> Router:
    """Build the pages (templates loaded once here, never at import). Its path must be in the API auth's PUBLIC_PATHS."""
    pages = Pages(config)
    return Router(
        path="/",
        route_handlers=[
            AuthPages,
            DashboardPage,
            DevicePages,
            ExceptionPages,
            OrderPages,
            RoutePages,
            ReportPages,
            create_static_files_router(path="/web/static", directories=[STATIC], name="web-static", include_in_schema=False),
        ],
        dependencies={
            "pages": Provide(lambda: pages, sync_to_thread=False),
            "me": Provide(provide_user, sync_to_thread=False),
            "vis": Provide(provide_visibility, sync_to_thread=False),
        },
        middleware=[SecurityHeaders],
        exception_handlers=exception_handlers(pages),
        include_in_schema=False,
    )
