"""Reports with charts and CSV: orders by source, cycle times, pickers, revenue, deliveries, aging, forecast."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from litestar import Controller, Request, Response, get

from server.clock import now
from server.domain.orders import Source
from server.domain.refusals import NotFound
from server.reads import supervision as reads
from server.usecases.users import SessionUser
from server.web import charts, report_data
from server.web.forecast import HOLDOUT, Forecast, forecast
from server.web.i18n import Translator
from server.web.params import opt_date, opt_int
from server.web.rendering import Fmt, Pages
from server.web.security import PREFIX
from server.web.session import signed_in
from sync.database import Database

DEFAULT_DAYS = 30
MAX_DAYS = 366
HISTORY_DAYS = 182
HORIZON_WEEKS = 4
CSV_NAMES = ("orders_by_source", "revenue", "cycle_times", "productivity", "deliveries", "aging", "forecast")


@dataclass
class Params:
    start: date
    end: date
    warehouse_id: int | None


def _params(request: Request) -> Params:
    today = now().date()
    end = opt_date(request.query_params.get("to")) or today
    start = opt_date(request.query_params.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    start = max(min(start, end), end - timedelta(days=MAX_DAYS - 1))
    return Params(start, end, opt_int(request.query_params.get("warehouse")))


@dataclass
class ForecastView:
    orders: Forecast
    revenue: Forecast
    currency: str
    history: list[report_data.DailyOrders]
    first_day: date

    def weeks(self) -> list[tuple[date, float, float]]:
        return [
            (self.first_day + timedelta(days=7 * w), sum(self.orders.values[7 * w : 7 * w + 7]), sum(self.revenue.values[7 * w : 7 * w + 7]))
            for w in range(HORIZON_WEEKS)
        ]


async def _forecast(conn, vis: reads.Visibility, warehouse_id: int | None) -> ForecastView:  # noqa: ANN001
    today = now().date()  # today is not over yet: history ends yesterday
    history = await report_data.daily_orders(conn, vis, warehouse_id, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1))
    # Trim the empty days before the first order, so a young database is not read as months of zeros.
    while history and history[0].count == 0:
        history.pop(0)
    totals = Counter()
    for d in history:
        totals.update(d.booked)
    currency = totals.most_common(1)[0][0] if totals else "RUB"
    horizon = 7 * HORIZON_WEEKS
    return ForecastView(
        forecast([d.count for d in history], horizon), forecast([d.booked.get(currency, 0) for d in history], horizon),
        currency, history, today,
    )  # fmt: skip


def _csv(rows: list[list[object]], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        # Cells that a spreadsheet would run as a formula are prefixed (CSV injection).
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in row])
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so spreadsheet programs read the Cyrillic as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="tally-{name}.csv"'},
    )


class ReportPages(Controller):
    path = f"{PREFIX}/reports"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="web-reports")
    async def reports(self, request: Request, db: Database, pages: Pages, me: SessionUser, vis: reads.Visibility) -> Response:
        p = _params(request)
        locale = pages.locale_for(request, me)
        t, fmt = Translator(locale), Fmt(locale, now())
        async with db.read() as conn:
            choices = await reads.visible_warehouses(conn, vis)
            if p.warehouse_id is not None and not vis.allows(p.warehouse_id):
                raise NotFound("warehouse", p.warehouse_id)
            daily = await report_data.daily_orders(conn, vis, p.warehouse_id, p.start, p.end)
            delivered = await report_data.delivered_revenue(conn, vis, p.warehouse_id, p.start, p.end)
            stages = await report_data.cycle_times(conn, vis, p.warehouse_id, p.start, p.end)
            pickers = await report_data.picker_productivity(conn, vis, p.warehouse_id, p.start, p.end)
            delivery = await report_data.deliveries(conn, vis, p.warehouse_id, p.start, p.end)
            cod = await report_data.cod_collected(conn, vis, p.warehouse_id, p.start, p.end)
            aging, aging_source = await report_data.receivables_aging(conn, vis, p.warehouse_id, now().date())
            fc = await _forecast(conn, vis, p.warehouse_id)
        labels = [d.day.strftime("%d.%m") for d in daily]
        sources = [s.value for s in Source]
        currency = fc.currency
        major = lambda v: fmt.num(v / 100)  # noqa: E731  # axis labels in whole currency units
        orders_chart = charts.stacked_bars(
            t("rep.orders_by_source"), labels, [(t.label("source", s), [d.by_source.get(s, 0) for d in daily]) for s in sources], fmt.num
        )
        revenue_chart = charts.line_chart(
            t("rep.revenue"), labels,
            [(t("rep.booked"), [d.booked.get(currency, 0) for d in daily], "s0"),
             (t("rep.delivered"), [delivered.get(d.day, {}).get(currency, 0) for d in daily], "s1"),
             (t("rep.cod"), [cod.get(d.day, {}).get(currency, 0) for d in daily], "s2")],
            major,
        )  # fmt: skip
        cycle_chart = charts.paired_hbars(
            t("rep.cycle"), [t(f"stage.{s.stage}") for s in stages],
            [(t("rep.median"), [s.median_s for s in stages]), (t("rep.p90"), [s.p90_s for s in stages])],
            lambda v: fmt.dur(v),
        )  # fmt: skip
        recent = fc.history[-56:]
        horizon_days = [fc.first_day + timedelta(days=i) for i in range(7 * HORIZON_WEEKS)]
        fc_labels = [d.day.strftime("%d.%m") for d in recent] + [d.strftime("%d.%m") for d in horizon_days]
        n = len(recent)
        forecast_chart = charts.line_chart(
            t("rep.forecast", weeks=HORIZON_WEEKS), fc_labels,
            [(t("rep.history"), [d.count for d in recent] + [None] * len(horizon_days), "s0"),
             (t("rep.forecast_line"), [None] * (n - 1) + ([recent[-1].count] if recent else []) + fc.orders.values, "s2 dashed")],
            fmt.num, split_at=n,
        )  # fmt: skip
        return pages.page(
            request, "reports.html", me, p=p, warehouses=choices, names={w.id: w for w in choices}, daily=daily, delivered=delivered,
            stages=stages, pickers=pickers, delivery=delivery, aging=aging, aging_source=aging_source, fc=fc, currency=currency, sources=sources,
            orders_chart=orders_chart, revenue_chart=revenue_chart, cycle_chart=cycle_chart, forecast_chart=forecast_chart,
            holdout=HOLDOUT, horizon_weeks=HORIZON_WEEKS, csv_names=CSV_NAMES, nav="reports",
        )  # fmt: skip

    @get("/csv/{name:str}", name="web-report-csv")
    async def csv_export(self, request: Request, db: Database, vis: reads.Visibility, name: str) -> Response:
        if name not in CSV_NAMES:
            raise NotFound("report", name)
        p = _params(request)
        if p.warehouse_id is not None and not vis.allows(p.warehouse_id):
            raise NotFound("warehouse", p.warehouse_id)
        async with db.read() as conn:
            rows = await _csv_rows(conn, vis, p, name)
        return _csv(rows, name)


async def _csv_rows(conn, vis: reads.Visibility, p: Params, name: str) -> list[list[object]]:  # noqa: ANN001, PLR0911
    """Machine-readable rows: ISO dates, amounts in minor units with their currency, seconds."""
    w = p.warehouse_id
    if name == "orders_by_source":
        sources = [s.value for s in Source]
        daily = await report_data.daily_orders(conn, vis, w, p.start, p.end)
        return [["day", *sources, "total"]] + [[d.day.isoformat(), *[d.by_source.get(s, 0) for s in sources], d.count] for d in daily]
    if name == "revenue":
        daily = await report_data.daily_orders(conn, vis, w, p.start, p.end)
        delivered = await report_data.delivered_revenue(conn, vis, w, p.start, p.end)
        cod = await report_data.cod_collected(conn, vis, w, p.start, p.end)
        currencies = sorted({c for d in daily for c in d.booked} | {c for v in delivered.values() for c in v}) or ["RUB"]
        return [["day", "currency", "booked_minor", "delivered_minor", "cod_collected_minor"]] + [
            [d.day.isoformat(), c, d.booked.get(c, 0), delivered.get(d.day, {}).get(c, 0), cod.get(d.day, {}).get(c, 0)]
            for d in daily for c in currencies
        ]
    if name == "cycle_times":
        stages = await report_data.cycle_times(conn, vis, w, p.start, p.end)
        return [["stage", "orders", "median_seconds", "p90_seconds"]] + [[s.stage, s.samples, s.median_s, s.p90_s] for s in stages]
    if name == "productivity":
        rows = await report_data.picker_productivity(conn, vis, w, p.start, p.end)
        return [["device_id", "device", "role", "lines", "active_hours", "lines_per_hour", "ops", "rejected", "error_rate"]] + [
            [r.device_id, r.name, r.role, r.lines, r.active_hours, r.per_hour, r.ops, r.rejected, r.error_rate] for r in rows
        ]
    if name == "deliveries":
        rows = await report_data.deliveries(conn, vis, w, p.start, p.end)
        return [["courier", "delivered", "failed", "on_time", "with_window", "success_rate", "on_time_rate"]] + [
            [r.courier or "", r.delivered, r.failed, r.on_time, r.with_window, r.success_rate, r.on_time_rate] for r in rows
        ]
    if name == "aging":
        rows, source = await report_data.receivables_aging(conn, vis, w, now().date())
        return [["days_overdue", "count", "currency", "amount_minor", "source"]] + [
            [r.bucket, r.orders, c, a, source] for r in rows for c, a in (sorted(r.amounts.items()) or [("", 0)])
        ]
    fc = await _forecast(conn, vis, w)
    head = [["day", "orders_forecast", f"booked_{fc.currency}_minor_forecast", "method", "backtest_mape_orders", "backtest_mape_revenue"]]
    return head + [
        [(fc.first_day + timedelta(days=i)).isoformat(), round(o, 2), round(r), fc.orders.method, fc.orders.backtest_mape, fc.revenue.backtest_mape]
        for i, (o, r) in enumerate(zip(fc.orders.values, fc.revenue.values, strict=True))
    ]
