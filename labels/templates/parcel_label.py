"""Shipping parcel labels: 100×150 mm (4×6 in) and 58×40 mm, with the SSCC as GS1-128."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from labels.element_string import sscc_display_checked
from labels.gs1 import validate_key
from labels.label_data import ParcelLabelData
from labels.layout import Barcode, Label, Line, Text
from labels.symbol import Symbol
from labels.symbols import encode_symbol, qr_size_estimate
from labels.templates.text_box import MAX_CHARS, text_box
from labels.text_format import clip, money_text, weight_text, window_text

QR_PREFIX = "tally:parcel:"  # the QR carries the parcel id, so a courier's phone can open the parcel


def _sscc_symbol(data: ParcelLabelData) -> tuple[Symbol, str]:
    # A 12-digit or lettered "SSCC" must fail here, not print an unscannable label.
    sscc = validate_key(data.sscc, "sscc")
    symbol = encode_symbol("gs1-128", "00" + sscc)
    return symbol, sscc_display_checked(sscc, data.company_prefix_length)


def _centered_x(symbol: Symbol, module: float, width: float) -> float:
    return (width - symbol.width * module) / 2 + symbol.quiet_left * module


def parcel_label_100x150(data: ParcelLabelData) -> Label:
    """Lay out the 100×150 mm shipping label (GS1 Logistic Label: SSCC barcode at the bottom)."""
    sscc, sscc_text = _sscc_symbol(data)
    qr = encode_symbol("qr", QR_PREFIX + data.parcel_id)
    # The QR gets a 30 mm square (quiet zone included) right of the order details; its size is
    # estimated from the payload so the ZPL path need not encode the matrix the printer draws itself.
    qr_module = min(1.0, 30.0 / (qr_size_estimate(qr.payload) + qr.quiet_left + qr.quiet_right))
    # GS1 Logistic Label Guideline 5.4 / GenSpecs 5.12.3.1: X ≥ 0.495 mm, bar height ≥ 31.75 mm.
    module, bar_height = 0.5, 31.75
    left, full = 4.0, 92.0
    items = [
        text_box(left, 7, 2.6, "Отправитель", full),
        text_box(left, 11.5, 3.4, data.sender.name, full, bold=True),
        text_box(left, 15.5, 3.0, data.sender.address, full),
        text_box(left, 19.5, 3.0, data.sender.phone, full),
        Line(0, 22, 100, 22),
        text_box(left, 26.5, 2.6, "Получатель", full),
        text_box(left, 33, 5.0, data.recipient.name, full, bold=True),
        text_box(left, 39, 4.0, data.recipient.address, full),
        text_box(left, 45, 4.2, data.recipient.phone, full, bold=True),
        text_box(left, 51, 3.6, "Окно доставки: " + window_text(data.window_from, data.window_to), full),
        Line(0, 55, 100, 55),
        text_box(left, 61, 3.6, f"Заказ № {data.order_number}", 56),
        text_box(left, 66.5, 3.6, f"Вес: {weight_text(data.weight_g)}", 56),
        text_box(left, 72, 3.6, "Наложенный платёж:", 56),
        text_box(left, 77.5, 4.2, money_text(data.cod) if data.cod else "нет", 56, bold=True),
        text_box(left, 85, 5.0, f"Место {data.parcel_number} из {data.parcel_count}", 56, bold=True),
        Barcode(qr, 66 + qr.quiet_left * qr_module, 56 + qr.quiet_vertical * qr_module, qr_module),
        Line(0, 89, 100, 89),
        text_box(left, 99, 8.0, f"Рейс {data.route}", 56, bold=True),
        text_box(64, 99, 8.0, f"Ост. {data.stop}", 32, bold=True),
        Line(0, 104, 100, 104),
        text_box(left, 108.5, 2.6, "SSCC", 20),
        Barcode(sscc, _centered_x(sscc, module, 100), 110, module, bar_height),
        text_box(_centered_x(sscc, module, 100), 146.5, 3.6, sscc_text, 88),
    ]
    return Label("parcel_100x150", 100, 150, tuple(items))


def parcel_label_58x40(data: ParcelLabelData) -> Label:
    """Lay out the small 58×40 mm parcel label: recipient, route/stop, parcel n of m, SSCC."""
    sscc, sscc_text = _sscc_symbol(data)
    # 176 modules × 0.25 mm = 44 mm: the SSCC still fits; 0.25 mm is 2 dots at 203 dpi, 3 at 300 dpi.
    module, bar_height = 0.25, 13.0
    left, full = 2.0, 54.0
    items = [
        text_box(left, 5, 3.2, data.recipient.name, full, bold=True),
        text_box(left, 9, 2.6, data.recipient.phone, 30),
        text_box(34, 9, 2.6, f"Место {data.parcel_number}/{data.parcel_count}", 22, bold=True),
        text_box(left, 14.5, 4.2, f"Рейс {data.route} · Ост. {data.stop}", full, bold=True),
        text_box(left, 18.5, 2.4, f"Заказ {data.order_number}", full),
        Barcode(sscc, _centered_x(sscc, module, 58), 20.5, module, bar_height),
        text_box(_centered_x(sscc, module, 58), 37.5, 2.4, sscc_text, 54),
    ]
    return Label("parcel_58x40", 58, 40, tuple(items))


PARCEL_SIZES = {"100x150": parcel_label_100x150, "58x40": parcel_label_58x40}
NOT_KNOWN = "—"
UNKNOWABLE = frozenset({"route", "window", "weight"})


def _unknown_texts(data: ParcelLabelData, unknown: frozenset[str]) -> dict[str, str]:
    """What the templates print from the placeholder fields, and the "—" that stands in for it."""
    swaps = {}
    if "route" in unknown:
        swaps |= {f"Рейс {data.route}": f"Рейс {NOT_KNOWN}", f"Ост. {data.stop}": f"Ост. {NOT_KNOWN}",
                  f"Рейс {data.route} · Ост. {data.stop}": f"Рейс {NOT_KNOWN} · Ост. {NOT_KNOWN}"}  # fmt: skip
    if "window" in unknown:
        swaps["Окно доставки: " + window_text(data.window_from, data.window_to)] = f"Окно доставки: {NOT_KNOWN}"
    if "weight" in unknown:
        swaps[f"Вес: {weight_text(data.weight_g)}"] = f"Вес: {NOT_KNOWN}"
    return {clip(old, MAX_CHARS): new for old, new in swaps.items()}


def parcel_label(data: ParcelLabelData, size: str = "100x150", unknown: Iterable[str] = ()) -> Label:
    """Lay out a parcel label of one size ("100x150" or "58x40") for a record that may not know everything yet.

    A parcel labelled as it is opened has no weight; its order may have no delivery window or not be on
    a route yet. ``unknown`` names those fields ("route", "window", "weight"): whatever placeholder the
    record holds there prints as "—", never as a made-up "0 кг" or "Ост. 0".
    """
    template = PARCEL_SIZES.get(size)
    if template is None:
        raise ValueError(f"unknown parcel label size {size!r}; known: {sorted(PARCEL_SIZES)}")
    unknown = frozenset(unknown)
    if unknown - UNKNOWABLE:
        raise ValueError(f"a parcel label cannot leave out {sorted(unknown - UNKNOWABLE)}")
    label = template(data)
    swaps = _unknown_texts(data, unknown)
    if not swaps:
        return label
    items = tuple(
        replace(item, text=swaps[item.text]) if isinstance(item, Text) and item.text in swaps else item for item in label.items
    )
    return replace(label, items=items)
