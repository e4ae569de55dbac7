"""The application factory: `create_app(settings)` builds everything; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from server.api.auth import PUBLIC_PATHS, TokenAuthentication
from server.api.catalog import LocationController, ProductController, WarehouseController
from server.api.customers import CustomerController
from server.api.errors import EXCEPTION_HANDLERS
from server.api.health import health
from server.api.orders import OrderController
from server.api.stock import StockController
from server.api.strict_body import strict_body
from server.settings import Settings
from sync.database import Database

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
API_VERSION = "0.1.0"


def _provide_db(state: State) -> Database:
    return state.db


def create_app(settings: Settings, database: Database | None = None) -> Litestar:
    """Build the ASGI app. A given `database` is used as is (tests); otherwise one is opened."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = database is None
        app.state.db = database or Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            yield
        finally:
            if owned:
                await app.state.db.dispose()

    openapi = OpenAPIConfig(
        title="Tally",
        version=API_VERSION,
        description="Order-to-cash for warehouses and couriers. Every endpoint but health needs a bearer token.",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(path="/swagger"), ScalarRenderPlugin(path="/")],
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", description="An API token")}
        ),
        security=[{"BearerToken": []}],
    )
    return Litestar(
        route_handlers=[
            health,
            WarehouseController,
            LocationController,
            ProductController,
            CustomerController,
            OrderController,
            StockController,
            create_static_files_router(path="/", directories=[PWA_DIR], html_mode=True, name="pwa", include_in_schema=False),
        ],
        dependencies={"db": Provide(_provide_db, sync_to_thread=False)},
        middleware=[DefineMiddleware(TokenAuthentication, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=strict_body,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi,
        lifespan=[lifespan],
        debug=settings.debug,
    )
