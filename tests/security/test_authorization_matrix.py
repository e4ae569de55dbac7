"""The authorization matrix: every route of the application × every caller × own and foreign scope.

The routes are walked from the running app's route table, so a new endpoint that is not in
EXPECTED fails `test_every_route_of_the_app_has_an_expectation` before anything else: it cannot
escape the matrix. For each route, each caller (every API role, a supervisor bound to warehouse A,
every device role bound to A or to courier X of A, no token, a revoked device, a revoked admin
token) calls it with A's ids and, where the path names a thing of a warehouse, a courier or a
device, with B's ids too. The answer is "deny" when it is 401, 403 or 404 (a thing of another scope
is answered as if it did not exist) or a redirect to the sign-in page; anything else is "allow"
(including a 400 or a 409: the caller got past authorization to the rules). A 5xx fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from server.app import attach_database, create_app
from server.settings import Settings
from sync.database import Database
from tests.security.world import A, B, SecurityWorld, a_security_world
from tests.web.world import WebWorld

ADMIN, OFFICE, INTEGRATION, SUPERVISOR = "admin", "office", "integration", "supervisor_a"
DEVICES = frozenset(f"device_{r}" for r in ("picker", "checker", "packer", "loader", "warehouse", "courier"))
EVERYONE = frozenset({ADMIN, OFFICE, INTEGRATION, SUPERVISOR, *DEVICES, "anonymous", "revoked_device", "revoked_admin"})
API = frozenset({ADMIN, OFFICE, INTEGRATION, SUPERVISOR})
STAFF = frozenset({ADMIN, OFFICE, SUPERVISOR})
MANAGERS = frozenset({ADMIN, SUPERVISOR})
OFFICE_ONLY = frozenset({ADMIN, OFFICE})
WRITERS = frozenset({ADMIN, OFFICE, INTEGRATION})  # orders, customers, payments from the office or an integration
NOBODY: frozenset[str] = frozenset()
COMPANY_WIDE = frozenset({ADMIN, OFFICE, INTEGRATION})


@dataclass(frozen=True)
class Expect:
    """Who gets past authorization: `own` with A's ids, `foreign` with B's (default: the company-wide of `own`)."""

    own: frozenset[str]
    foreign: frozenset[str] | None = None
    # A valid body (or one built from the scope's ids), so that a scope check after validation is reached.
    body: dict | Callable[[dict[str, object]], dict] | None = None
    sample: str | None = None  # a concrete path for a route whose parameter is not a thing of a scope
    stream: bool = False  # an endless stream: only the callers who must be refused are called

    def allowed(self, caller: str, scope: str) -> bool:
        if scope == A:
            return caller in self.own
        return caller in (self.foreign if self.foreign is not None else self.own & COMPANY_WIDE)


CANCEL = {"reason": "other", "note": "matrix"}
EXPECTED: dict[tuple[str, str], Expect] = {
    # --- public: the PWA, its vendor code, health, the API documentation, the pages' own sign-in ---
    ("GET", "/"): Expect(EVERYONE),
    ("GET", "/{file_path:path}"): Expect(EVERYONE, sample="/index.html"),
    ("HEAD", "/{file_path:path}"): Expect(EVERYONE, sample="/index.html"),
    ("GET", "/js/{file:path}"): Expect(EVERYONE, sample="/js/app.js"),  # the shell's code, minified
    ("GET", "/css/{file:path}"): Expect(EVERYONE, sample="/css/app.css"),
    ("GET", "/vendor/{file_path:path}"): Expect(EVERYONE, sample="/vendor/barcode-detector/package.json"),
    ("HEAD", "/vendor/{file_path:path}"): Expect(EVERYONE, sample="/vendor/barcode-detector/package.json"),
    ("GET", "/health"): Expect(EVERYONE),
    ("GET", "/schema"): Expect(EVERYONE),
    ("GET", "/schema/openapi.json"): Expect(EVERYONE),
    ("GET", "/schema/swagger"): Expect(EVERYONE),
    ("GET", "/schema/oauth2-redirect.html"): Expect(EVERYONE),
    # Public, but it serves only render plugins mounted under a sub-path, and there are none (the YAML
    # form needs PyYAML): 404 for every caller, without asking for a token.
    ("GET", "/schema/{path:str}"): Expect(NOBODY, sample="/schema/openapi.yaml"),
    ("POST", "/api/devices/enroll"): Expect(EVERYONE),  # the code is the credential (rate limited per client)
    ("GET", "/web"): Expect(EVERYONE),  # a redirect to the dashboard
    ("GET", "/web/login"): Expect(EVERYONE),
    # Public forms, but no caller gets past their CSRF check without the form cookie (tests/web/test_auth.py),
    # and signing out without a session leads back to the sign-in page.
    ("POST", "/web/login"): Expect(NOBODY),
    ("POST", "/web/lang"): Expect(NOBODY),
    ("POST", "/web/logout"): Expect(NOBODY),
    ("GET", "/web/static/{file_path:path}"): Expect(EVERYONE, sample="/web/static/web.css"),
    ("HEAD", "/web/static/{file_path:path}"): Expect(EVERYONE, sample="/web/static/web.css"),
    # --- the supervisor pages: a session cookie, never a bearer token (their scopes: tests/web/test_scoping.py) ---
    **{
        (method, path): Expect(NOBODY)
        for method, path in (
            ("GET", "/web/dashboard"), ("GET", "/web/devices"), ("GET", "/web/devices/enroll"), ("POST", "/web/devices/enroll"),
            ("GET", "/web/devices/rows"), ("GET", "/web/devices/stream"), ("POST", "/web/devices/{device_id:str}/revoke"),
            ("GET", "/web/exceptions"), ("POST", "/web/exceptions/{exception_id:int}/resolve"), ("GET", "/web/orders"),
            ("GET", "/web/orders/{order_id:int}"), ("GET", "/web/orders/{order_id:int}/blobs/{sha:str}"), ("GET", "/web/reports"),
            ("GET", "/web/reports/csv/{name:str}"), ("GET", "/web/routes"), ("GET", "/web/routes/{route_id:int}"),
            ("POST", "/web/routes/handovers/{handover_id:str}/close"),
        )
    },  # fmt: skip
    # --- sync: enrolled devices only, each on its own device id ---
    ("POST", "/api/sync/push"): Expect(DEVICES),
    ("POST", "/api/sync/pull"): Expect(DEVICES),
    ("GET", "/api/sync/events"): Expect(DEVICES, stream=True),
    # Blobs: any token may upload; a device reads back only its own, office staff read any of their scope.
    ("PUT", "/api/blobs/{sha256:str}"): Expect(API | DEVICES, foreign=API | DEVICES),
    ("GET", "/api/blobs/{sha256:str}"): Expect(STAFF | {"device_courier"}, foreign=OFFICE_ONLY),
    # --- catalog and customers: company-wide reference data ---
    ("GET", "/api/warehouses"): Expect(API),
    ("POST", "/api/warehouses"): Expect(frozenset({ADMIN})),
    ("GET", "/api/locations"): Expect(API),
    ("POST", "/api/locations"): Expect(OFFICE_ONLY),
    ("GET", "/api/products"): Expect(API),
    ("POST", "/api/products"): Expect(OFFICE_ONLY),
    ("GET", "/api/products/{product_id:int}"): Expect(API, sample="/api/products/1"),
    ("PUT", "/api/products/{product_id:int}"): Expect(OFFICE_ONLY, sample="/api/products/1"),
    ("GET", "/api/customers"): Expect(API),
    ("POST", "/api/customers"): Expect(WRITERS),
    ("GET", "/api/customers/{customer_id:int}"): Expect(API, sample="/api/customers/1"),
    ("PUT", "/api/customers/{customer_id:int}"): Expect(WRITERS, sample="/api/customers/1"),
    ("GET", "/api/stock"): Expect(API),
    ("POST", "/api/stock/adjustments"): Expect(STAFF),
    ("POST", "/api/stock/receipts"): Expect(STAFF),
    # --- orders ---
    ("GET", "/api/orders"): Expect(API),
    ("POST", "/api/orders"): Expect(WRITERS),
    ("GET", "/api/orders/{order_id:int}"): Expect(API),
    ("POST", "/api/orders/{order_id:int}/confirm"): Expect(STAFF),
    ("POST", "/api/orders/{order_id:int}/cancel"): Expect(STAFF, body=CANCEL),
    ("POST", "/api/orders/{order_id:int}/check-override"): Expect(MANAGERS, body={"reason": "matrix"}),
    ("GET", "/api/orders/{order_id:int}/parcels"): Expect(STAFF),
    ("POST", "/api/orders/{order_id:int}/invoice"): Expect(WRITERS),
    ("POST", "/api/parcels/{sscc:str}/return"): Expect(STAFF),
    # --- intake: orders from shops and spreadsheets ---
    ("GET", "/api/intake"): Expect(STAFF),
    ("POST", "/api/intake/orders"): Expect(WRITERS),
    ("POST", "/api/intake/spreadsheets"): Expect(WRITERS),
    ("GET", "/api/intake/{intake_id:int}"): Expect(STAFF, sample="/api/intake/1"),
    ("GET", "/api/intake/{intake_id:int}/raw"): Expect(STAFF, sample="/api/intake/1/raw"),
    ("POST", "/api/intake/{intake_id:int}/retry"): Expect(STAFF, sample="/api/intake/1/retry"),
    ("POST", "/api/intake/{intake_id:int}/lines/{line_no:int}/resolve"): Expect(STAFF, sample="/api/intake/1/lines/1/resolve"),
    # --- warehouse work: pick lists, devices, SSCC blocks, labels and documents ---
    ("GET", "/api/pick-lists"): Expect(STAFF),
    ("POST", "/api/pick-lists"): Expect(STAFF),
    ("GET", "/api/pick-lists/{list_id:int}"): Expect(STAFF),
    ("POST", "/api/pick-lists/{list_id:int}/assign"): Expect(STAFF, body={"device_id": None}),
    ("GET", "/api/devices"): Expect(MANAGERS),
    ("POST", "/api/devices/enrollments"): Expect(MANAGERS),
    ("POST", "/api/devices/{device_id:str}/revoke"): Expect(MANAGERS),
    ("GET", "/api/devices/{device_id:str}/sscc-blocks"): Expect(MANAGERS),
    ("POST", "/api/devices/{device_id:str}/sscc-blocks"): Expect(MANAGERS, body={"count": 10}),
    ("GET", "/api/labels/bins/{location_id:int}"): Expect(STAFF),
    ("GET", "/api/labels/warehouses/{warehouse_id:int}/bins"): Expect(STAFF),
    ("GET", "/api/labels/products/{product_id:int}"): Expect(STAFF, sample="/api/labels/products/1"),
    # A packing handheld prints its own warehouse's parcel labels (the PWA's label queue).
    ("GET", "/api/labels/parcels/{parcel:str}"): Expect(STAFF | {"device_packer", "device_warehouse"}),
    ("GET", "/api/labels/pick-lists/{pick_list_id:int}"): Expect(STAFF),
    ("GET", "/api/labels/routes/{route_id:int}"): Expect(STAFF),
    ("POST", "/api/labels/enrollment-card"): Expect(MANAGERS),
    ("GET", "/api/documents/orders/{order_id:int}/invoice"): Expect(STAFF),
    ("GET", "/api/documents/orders/{order_id:int}/packing-list"): Expect(STAFF),
    ("GET", "/api/documents/orders/{order_id:int}/pick-list"): Expect(STAFF),
    ("GET", "/api/documents/orders/{order_id:int}/waybill"): Expect(STAFF),
    ("GET", "/api/documents/orders/{order_id:int}/proof-of-delivery"): Expect(STAFF),
    ("GET", "/api/documents/routes/{route_id:int}/route-sheet"): Expect(STAFF),
    # --- couriers, routes, cash ---
    ("GET", "/api/couriers"): Expect(API),
    ("POST", "/api/couriers"): Expect(STAFF),
    ("POST", "/api/routes"): Expect(STAFF),
    ("GET", "/api/routes/{route_id:int}"): Expect(API),
    ("POST", "/api/routes/{route_id:int}/assign"): Expect(STAFF, body=lambda ids: {"courier_id": ids["courier_id"]}),
    ("POST", "/api/routes/{route_id:int}/dispatch"): Expect(STAFF, body={"override_reason": "matrix"}),
    ("GET", "/api/cash/couriers"): Expect(STAFF),
    ("GET", "/api/cash/couriers/{courier_id:int}/on-hand"): Expect(STAFF),
    ("POST", "/api/cash/couriers/{courier_id:int}/limit"): Expect(MANAGERS, body={"cash_limit": 5_000_000}),
    ("GET", "/api/cash/handovers"): Expect(STAFF),
    ("POST", "/api/cash/handovers"): Expect(STAFF),
    ("POST", "/api/cash/handovers/{handover_id:str}/close"): Expect(MANAGERS, body={"note": "matrix"}),
    ("GET", "/api/invoices"): Expect(STAFF),
    ("GET", "/api/receivables"): Expect(STAFF),
    ("POST", "/api/payments"): Expect(WRITERS),
    ("POST", "/api/payments/bank-statement"): Expect(WRITERS),
}


def app_routes(app) -> set[tuple[str, str]]:  # noqa: ANN001
    """Every (method, path) the app answers, from its route table (OPTIONS is CORS plumbing)."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            found |= {(method, route.path) for method in getattr(handler, "http_methods", ()) if method != "OPTIONS"}
    return found


def _path(route: str, expect: Expect, ids: dict[str, dict[str, object]], scope: str) -> str | None:
    """The route with A's or B's ids; None when it names no scoped thing and B is asked."""
    if expect.sample is not None:
        return expect.sample if scope == A else None
    names = re.findall(r"\{(\w+):\w+\}", route)
    if scope == B and not any(name in ids for name in names):
        return None
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(ids[m.group(1)][scope]) if m.group(1) in ids else "1", route)


def _verdict(response: httpx.Response) -> str:
    if response.status_code in (401, 403, 404):
        return "deny"
    if response.is_redirect and "/web/login" in response.headers.get("location", ""):
        return "deny"
    return "allow"


def test_every_route_of_the_app_has_an_expectation() -> None:
    routes = app_routes(create_app(Settings()))
    assert sorted(routes - EXPECTED.keys()) == [], "routes missing from the authorization matrix"
    assert sorted(EXPECTED.keys() - routes) == [], "expectations for routes that no longer exist"


async def test_every_route_allows_exactly_the_expected_callers_in_their_own_scope(
    settings: Settings, db: Database, world: WebWorld
) -> None:
    security: SecurityWorld = await a_security_world(db, world)
    assert {c.name for c in security.callers} == EVERYONE
    app = create_app(settings, database=db)
    attach_database(app, db)
    wrong, cells = [], 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for (method, route), expect in sorted(EXPECTED.items(), key=lambda item: (item[0][1], item[0][0])):
            for scope in (A, B):
                path = _path(route, expect, security.ids, scope)
                if path is None:
                    continue
                for caller in security.callers:
                    expected = "allow" if expect.allowed(caller.name, scope) else "deny"
                    if expect.stream and expected == "allow":
                        continue  # the stream never ends; its callers' own tests read it (tests/sync/test_hints.py)
                    headers = {"authorization": f"Bearer {caller.token}"} if caller.token else {}
                    data = expect.body({k: v[scope] for k, v in security.ids.items()}) if callable(expect.body) else expect.body
                    body = {"json": data if data is not None else {}} if method in ("POST", "PUT") else {}
                    response = await client.request(method, path, headers=headers, **body)
                    cells += 1
                    assert response.status_code < 500, (method, path, caller.name, response.text)
                    if _verdict(response) != expected:
                        wrong.append(f"{method} {route} [{scope}] {caller.name}: expected {expected}, got {response.status_code}")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)
    assert cells > 1800  # 109 routes × 13 callers, and B's scope too where a route names a scoped thing: 1,866
