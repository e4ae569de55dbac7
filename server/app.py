"""The application factory: `create_app(settings)` builds everything; nothing is built at import."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from server.pwa_assets import pwa_assets_router
from server.api.auth import PUBLIC_PATHS, TokenAuthentication
from server.api.cash import cash_router
from server.api.catalog import LocationController, ProductController, WarehouseController
from server.api.customers import CustomerController
from server.api.errors import EXCEPTION_HANDLERS
from server.api.health import health
from server.api.intake import IntakeController
from server.api.labels import printing_router
from server.api.orders import OrderController
from server.api.picking import PickListController
from server.api.devices import DeviceController
from server.api.routes import CourierController, RouteController
from server.api.stock import StockController
from server.api.sync import BlobController, SyncController
from server.api.warehouse_ops import WarehouseOpsController
from server.api.int_params import int_params_in_range
from server.api.strict_body import strict_body
from server.settings import Settings
from server.syncapp.app import TallySync
from server.web.router import web_router
from server.web.security import WebConfig
from sync.database import Database
from sync.hints import HintHub, PostgresListener

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
API_VERSION = "0.1.0"


async def _before_request(request: Request) -> None:
    """Refuse out-of-range integer parameters, then bodies only lax conversion would accept."""
    await int_params_in_range(request)
    await strict_body(request)


def _provide_db(state: State) -> Database:
    return state.db


def attach_database(app: Litestar, db: Database) -> None:
    """Hand the app its database and let committed changes wake the devices listening for hints."""
    app.state.db = db
    db.after_commit.append(app.state.hints.publish)


def create_app(settings: Settings, database: Database | None = None) -> Litestar:
    """Build the ASGI app. A given `database` is used as is (tests); otherwise one is opened."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        attach_database(app, db)
        if db.is_sqlite:
            # Refresh planner statistics where they are missing or stale (cheap when they are fresh).
            async with db.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA optimize=0x10002")
        listener = None
        if not db.is_sqlite:
            # Other server processes commit changes too: hear them through LISTEN/NOTIFY.
            dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            listener = PostgresListener(dsn, app.state.hints)
            await listener.start()
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            if owned:
                await db.dispose()

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
            IntakeController,
            StockController,
            DeviceController,
            SyncController,
            BlobController,
            CourierController,
            RouteController,
            PickListController,
            WarehouseOpsController,
            printing_router,
            cash_router,
            web_router(WebConfig(cookie_secure=settings.cookie_secure)),  # supervisor pages under /web, signed in by their own session (PUBLIC_PATHS skips the token check)
            # Third-party browser code installed from npm (the camera's barcode decoder), never committed.
            create_static_files_router(
                path="/vendor", directories=[PWA_DIR.parent / "node_modules"], name="vendor", include_in_schema=False,
                opt={"exclude_from_auth": True},
            ),
            pwa_assets_router(PWA_DIR),  # the shell's JS and CSS, minified (before the plain static files below)
            create_static_files_router(
                path="/", directories=[PWA_DIR], html_mode=True, name="pwa", include_in_schema=False,
                opt={"exclude_from_auth": True},  # the PWA's shell, service worker and manifest load before enrollment
            ),
        ],
        dependencies={"db": Provide(_provide_db, sync_to_thread=False)},
        middleware=[DefineMiddleware(TokenAuthentication, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_before_request,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi,
        state=State({"settings": settings, "sync": TallySync(settings), "hints": HintHub()}),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        lifespan=[lifespan],
        debug=settings.debug,
    )


# Young-generation collections every 50,000 allocations instead of 700: a 500-op push allocates tens of thousands
# of short-lived objects, and the default threshold ran several collections inside every request.
GC_THRESHOLD = (50_000, 20, 10)


def tune_gc() -> None:
    """After start-up: move what is alive now (modules, the app, the pool) out of the collector's sight, and
    collect the young generation less often. `TALLY_GC_TUNING=0` keeps Python's defaults (for measuring)."""
    if os.environ.get("TALLY_GC_TUNING", "1") == "0":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def app_from_env() -> Litestar:
    """The app `tally serve` runs in each worker process, with settings from the environment."""
    app = create_app(Settings.from_env())
    app.on_startup.append(tune_gc)  # after the lifespan managers: the database pool exists by then
    return app
