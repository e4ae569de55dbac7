"""Route sheet (маршрутный лист): stops in order with address, window, parcels, COD, a signature per stop, COD totals."""

from __future__ import annotations

from collections import defaultdict

from labels.documents.data import RouteSheetData, RouteStop
from labels.documents.formatting import date_text, money_text, number_text, window_text
from labels.documents.model import Column, Document, Fields, Heading, Row, Signatures, Table, Title, Totals
from labels.documents.strings import payment_name, strings
from labels.label_data import Money

# Landscape: 273 mm between the margins; the last column is left blank to sign in.
WIDTHS = (8.0, 24.0, 42.0, 52.0, 24.0, 40.0, 24.0, 25.0, 34.0)
SIGNATURE_ROW = 14.0  # mm: room for a signature by hand
# Which till a collected amount goes to at handover; other kinds should carry no amount due.
COD_TILL = {"cash_on_delivery": "route_sheet.cod_cash", "card_on_delivery": "route_sheet.cod_card"}
TOTAL_KEYS = ("route_sheet.cod_cash", "route_sheet.cod_card", "route_sheet.cod_total")


def _parcels(stop: RouteStop, lang: str) -> str:
    if not stop.parcels:
        return ""
    return "\n".join((number_text(len(stop.parcels), lang) + ":", *stop.parcels))


def cod_totals(stops: tuple[RouteStop, ...]) -> dict[str, dict[str, int]]:
    """Amounts to collect per currency and till ("…cod_cash", "…cod_card", and the total)."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for stop in stops:
        if stop.amount_due is None or not stop.amount_due.minor:
            continue
        till = COD_TILL.get(stop.payment)
        if till:
            totals[stop.amount_due.currency][till] += stop.amount_due.minor
        totals[stop.amount_due.currency]["route_sheet.cod_total"] += stop.amount_due.minor
    return totals


def route_sheet(data: RouteSheetData, lang: str) -> Document:
    """Lay out the route sheet of one route."""
    s = strings(lang)
    stops = sorted(data.stops, key=lambda stop: stop.number)
    parcels = sum(len(stop.parcels) for stop in stops)
    courier = f"{data.courier}, {data.courier_phone}" if data.courier_phone else data.courier
    fields = [
        (s["date"], date_text(data.day, lang)),
        (s["warehouse"], data.warehouse),
        (s["route_sheet.courier"], courier),
        (s["route_sheet.vehicle"], data.vehicle or s["none"]),
        (s["route_sheet.stops"], number_text(len(stops), lang)),
        (s["route_sheet.parcels"], number_text(parcels, lang)),
    ]
    columns = (
        Column(s["no"], WIDTHS[0], "right"),
        Column(s["order"], WIDTHS[1]),
        Column(s["route_sheet.recipient"], WIDTHS[2]),
        Column(s["address"], WIDTHS[3]),
        Column(s["route_sheet.window"], WIDTHS[4]),
        Column(s["route_sheet.parcel_list"], WIDTHS[5]),
        Column(s["route_sheet.payment"], WIDTHS[6]),
        Column(s["route_sheet.to_collect"], WIDTHS[7], "right"),
        Column(s["route_sheet.recipient_signature"], WIDTHS[8]),
    )
    rows = tuple(
        Row((
            str(stop.number),
            stop.order_number,
            "\n".join(p for p in (stop.recipient, stop.phone) if p),
            "\n".join(p for p in (stop.address, stop.notes) if p),
            window_text(stop.window_start, stop.window_end),
            _parcels(stop, lang),
            payment_name(stop.payment, lang),
            money_text(stop.amount_due, lang) if stop.amount_due and stop.amount_due.minor else s["none"],
            "",
        ))
        for stop in stops
    )  # fmt: skip
    totals = cod_totals(tuple(stops))
    lines = []
    for currency in sorted(totals):
        suffix = f" ({currency})" if len(totals) > 1 else ""  # a mixed-currency route totals each apart
        lines += [(s[key] + suffix, money_text(Money(totals[currency][key], currency), lang))
                  for key in TOTAL_KEYS if key in totals[currency]]  # fmt: skip
    title = s["route_sheet.title"].format(route=data.route)
    return Document(
        title=title,
        lang=lang,
        landscape=True,
        blocks=(
            Title(title),
            Fields(tuple(fields)),
            Table(columns, rows, min_row_height=SIGNATURE_ROW),
            Heading(s["route_sheet.cod_totals"]),
            Totals(tuple(lines) or ((s["route_sheet.cod_total"], s["none"]),)),
            Signatures(
                (s["route_sheet.courier"], s["route_sheet.dispatcher"], s["route_sheet.cash_received"]),
                (s["signature"], s["full_name"]),
            ),
        ),
    )
