"""The intake's command-line work: `tally import orders FILE` and `tally intake process`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import msgspec

from server.domain.events import Actor
from server.domain.refusals import Refused
from server.intake import files, reads
from server.intake.catalog_index import CatalogCache
from server.intake.process import process_pending
from server.intake.receive import import_spreadsheet
from sync.database import Database

EXIT_DONE, EXIT_REFUSED, EXIT_REVIEW = 0, 1, 3
CONTENT_TYPES = {"csv": "text/csv", "xlsx": files.XLSX_TYPE}


class ProgressBar:
    """One line on stderr, redrawn at most ten times a second: stage, bar, count."""

    def __init__(self, stream=sys.stderr, width: int = 30) -> None:  # noqa: ANN001
        self.stream, self.width = stream, width
        self._drawn_at = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        final = total and done >= total
        if stage == self._stage and not final and now - self._drawn_at < 0.1:
            return
        if stage != self._stage and self._stage:
            self.stream.write("\n")
        self._stage, self._drawn_at = stage, now
        if total:
            filled = self.width * done // total
            line = f"\r{stage:<9} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        else:
            line = f"\r{stage:<9} {done} rows" if done else f"\r{stage}"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self._stage:
            self.stream.write("\n")
            self.stream.flush()


def _print_intake(intake: reads.Intake) -> None:
    order = f", order {intake.order_number}" if intake.order_number else ""
    print(f"intake {intake.id} ({intake.source}/{intake.external_id}): {intake.status}{order}")
    if intake.reason:
        print(f"  {intake.reason}")
    for notice in intake.notices or []:
        print(f"  note: {notice}")
    for skipped in intake.skipped or []:
        print(f"  row {skipped.row}: skipped, {skipped.why}")
    for line in intake.lines or []:
        if line.status == "invalid":
            print(f"  row {line.line_no}: invalid, {line.problem}")
        elif line.status == "review":
            options = "; ".join(f"{c.sku} {c.name} ({c.score})" for c in line.candidates[:3]) or "no candidates"
            print(f"  row {line.line_no}: review, {line.text or line.article!r} -> {options}")


async def import_orders(db: Database, path: Path, customer_id: int | None, source: str, external_id: str | None) -> int:
    """Import one order file; print its report; return the exit code."""
    raw = path.read_bytes()
    bar = ProgressBar()
    try:
        kind = files.kind_of_path(path.name, raw)
        received = await import_spreadsheet(
            db, CatalogCache(), raw, CONTENT_TYPES[kind], customer_id=customer_id, source=source, external_id=external_id,
            actor=Actor("user", f"cli:{path.name}"[:100]), progress=bar,
        )  # fmt: skip
    except Refused as refusal:
        bar.close()
        print(f"refused: {refusal.code}: {refusal.message}", file=sys.stderr)
        return EXIT_REFUSED
    bar.close()
    async with db.read() as conn:
        intake = await reads.get_intake(conn, received.outcome.intake_id)
    report = received.outcome.report
    skipped = [reads.Skipped(s.row, s.why) for s in report.skipped] if report else []
    _print_intake(msgspec.structs.replace(intake, skipped=skipped, notices=received.outcome.notices))
    return {"done": EXIT_DONE, "review": EXIT_REVIEW}.get(intake.status, EXIT_REFUSED)


async def process_queue(db: Database, limit: int) -> int:
    """Process what waits as received or failed; print one line per intake."""
    outcomes = await process_pending(db, CatalogCache(), Actor("system", "cli:intake-process"), limit=limit)
    for outcome in outcomes:
        print(f"intake {outcome.intake_id}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else "")
              + (f", order {outcome.order_id}" if outcome.order_id else ""))  # fmt: skip
    print(f"processed {len(outcomes)} intake(s)")
    return 0
