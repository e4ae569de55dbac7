"""HTTP handlers for order intake: shops' orders, order files, the queue, review and retry.

The receiving handlers read the raw body themselves (no `data` parameter): the bytes are stored
before anything parses them, so a malformed order still reaches the queue instead of a 400.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import HeaderParameter, Parameter

from server.api.auth import ORDER_WRITERS, STAFF, allow
from server.api.errors import problem
from server.domain.refusals import Refused
from server.intake import files, reads
from server.intake.catalog_index import CatalogCache
from server.intake.process import Outcome, process_intake
from server.intake.receive import Received, import_spreadsheet, receive_order
from server.intake.review import resolve_line
from server.usecases.tokens import Principal
from server.wire.common import Id, Limit
from sync.database import Database

SPREADSHEET_MAX_BYTES = 16 * 1024 * 1024  # enough for a file far over the line limit, to say so per file
# Refusals whose HTTP status differs from the default mapping (409 conflicts, 415 wrong type).
STATUS_BY_CODE = {"external_id_reused": 409, "intake_done": 409, "spreadsheet_type_unsupported": 415}

RAW_TYPES = frozenset({"application/json", "text/csv", "text/plain", "application/csv", files.XLSX_TYPE})

SourceHeader = Annotated[
    str | None,
    HeaderParameter(name="X-Source", min_length=1, max_length=64, description="The sending system; default: the token's name"),
]


class ResolveLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Settle a review line: the product meant (remembered for this customer), or drop the line."""

    product_id: Id | None = None
    drop: bool = False


def catalog_cache(state: State) -> CatalogCache:
    """This process's catalog index (built on first use, rebuilt when the catalog changes)."""
    cache = state.get("intake_catalog")
    if cache is None:
        cache = state["intake_catalog"] = CatalogCache()
    return cache


def _source(principal: Principal, header: str | None) -> str:
    return (header or principal.name or f"token-{principal.token_id}")[:64]


def _refusal(refusal: Refused) -> Response:
    status = STATUS_BY_CODE.get(refusal.code)
    if status is None:
        raise refusal
    return problem(status, refusal.code, refusal.message, **refusal.context)


async def _detail(db: Database, outcome: Outcome) -> reads.Intake:
    async with db.read() as conn:
        intake = await reads.get_intake(conn, outcome.intake_id)
    if outcome.report is not None:
        skipped = [reads.Skipped(s.row, s.why) for s in outcome.report.skipped]
        intake = msgspec.structs.replace(intake, skipped=skipped, notices=outcome.notices)
    return intake


class IntakeController(Controller):
    path = "/api/intake"
    tags = ["intake"]

    @post("/orders", guards=[allow(*ORDER_WRITERS)], operation_id="receiveShopOrder", status_code=202)
    async def receive(self, db: Database, request: Request, x_source: SourceHeader = None) -> Response:
        """Store a shop's order first (202 once stored), then make the order or leave it queued with a reason.

        The same external_id again answers the same intake and order (200, Idempotent-Replayed).
        """
        principal: Principal = request.user
        raw = await request.body()
        try:
            received = await receive_order(
                db, catalog_cache(request.app.state), _source(principal, x_source), raw,
                request.headers.get("content-type", "application/json"), principal.actor,
            )  # fmt: skip
        except Refused as refusal:
            return _refusal(refusal)
        intake = await _detail(db, received.outcome)
        if not received.keyed:
            return problem(
                422, "invalid_payload", "the body has no usable external_id (1 to 100 characters); it was stored and failed",
                intake_id=intake.id, reason=intake.reason,
            )  # fmt: skip
        return _answer(received, intake, replay_status=200)

    @post(
        "/spreadsheets",
        guards=[allow(*ORDER_WRITERS)],
        operation_id="importOrderFile",
        status_code=201,
        request_max_body_size=SPREADSHEET_MAX_BYTES,
    )
    async def import_file(
        self,
        db: Database,
        request: Request,
        customer_id: int | None = Parameter(default=None, ge=1),
        source: str = Parameter(default="spreadsheet", min_length=1, max_length=64),
        external_id: str | None = Parameter(default=None, min_length=1, max_length=100),
    ) -> Response:
        """A CSV or XLSX order file (the Content-Type says which): one order (201), lines for review (202),
        or nothing at all with a report per row (422)."""
        raw = await request.body()
        try:
            received = await import_spreadsheet(
                db, catalog_cache(request.app.state), raw, request.headers.get("content-type", ""),
                customer_id=customer_id, source=source, external_id=external_id, actor=request.user.actor,
            )  # fmt: skip
        except Refused as refusal:
            return _refusal(refusal)
        intake = await _detail(db, received.outcome)
        if intake.status == "failed":
            return problem(
                422, (intake.reason or "failed").split(":", 1)[0], intake.reason or "the file was refused",
                intake=msgspec.to_builtins(intake),
            )  # fmt: skip
        return _answer(received, intake, replay_status=200)

    @get("/", guards=[allow(*STAFF)], operation_id="listIntake")
    async def list(
        self,
        db: Database,
        status: Literal["received", "done", "review", "failed"] | None = None,
        source: str | None = Parameter(default=None, max_length=64),
        after: str | None = None,
        limit: Limit = 50,
    ) -> reads.IntakePage:
        """The intake queue, newest first: `status=failed` and `status=review` are the office's work."""
        async with db.read() as conn:
            return await reads.list_intakes(conn, status=status, source=source, after=after, limit=limit)

    @get("/{intake_id:int}", guards=[allow(*STAFF)], operation_id="getIntake")
    async def read(self, db: Database, intake_id: int) -> reads.Intake:
        """One intake with its lines: status, matched product, score, reason and the top candidates."""
        async with db.read() as conn:
            return await reads.get_intake(conn, intake_id)

    @get("/{intake_id:int}/raw", guards=[allow(*STAFF)], operation_id="getIntakeRaw")
    async def raw(self, db: Database, intake_id: int) -> Response[bytes]:
        """The bytes exactly as they were received."""
        async with db.read() as conn:
            body, content_type = await reads.raw_payload(conn, intake_id)
        # The sender chose the content type: only known ones are echoed, and never for a browser to render.
        media = content_type.split(";", 1)[0].strip().casefold()
        safe = media if media in RAW_TYPES else "application/octet-stream"
        headers = {"Content-Disposition": f'attachment; filename="intake-{intake_id}"', "X-Content-Type-Options": "nosniff"}
        return Response(body, media_type=safe, headers=headers)

    @post("/{intake_id:int}/retry", guards=[allow(*STAFF)], operation_id="retryIntake", status_code=200)
    async def retry(self, db: Database, request: Request, intake_id: int) -> reads.Intake:
        """Process an intake again (after the office fixed a customer or the catalog); a done one stays as it is."""
        outcome = await process_intake(db, intake_id, catalog_cache(request.app.state), request.user.actor)
        return await _detail(db, outcome)

    @post(
        "/{intake_id:int}/lines/{line_no:int}/resolve", guards=[allow(*STAFF)], operation_id="resolveIntakeLine", status_code=200
    )
    async def resolve(self, db: Database, request: Request, intake_id: int, line_no: int, data: ResolveLine) -> Response:
        """A person's choice for a line, remembered as the customer's alias; the order is made once all lines are settled."""
        if (data.product_id is None) == (not data.drop):
            return problem(400, "invalid_body", "give either product_id or drop: true")
        try:
            outcome = await resolve_line(db, request.user.actor, intake_id, line_no, data.product_id, drop=data.drop)
        except Refused as refusal:
            return _refusal(refusal)
        return Response(await _detail(db, outcome), status_code=200)


def _answer(received: Received, intake: reads.Intake, replay_status: int) -> Response:
    headers = {"Location": f"/api/intake/{intake.id}"}
    if not received.stored.created:
        headers["Idempotent-Replayed"] = "true"
        return Response(intake, status_code=replay_status, headers=headers)
    if intake.kind == "spreadsheet" and intake.status == "done":
        return Response(intake, status_code=201, headers=headers)
    return Response(intake, status_code=202, headers=headers)
