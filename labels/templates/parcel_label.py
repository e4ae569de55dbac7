"""Shipping parcel labels: 100×150 mm (4×6 in) and 58×40 mm, with the SSCC as GS1-128."""

from __future__ import annotations

from labels.element_string import sscc_display
from labels.gs1 import validate_key
from labels.label_data import ParcelLabelData
from labels.layout import Barcode, Label, Line
from labels.symbol import Symbol
from labels.symbols import encode_symbol, qr_size_estimate
from labels.templates.text_box import text_box
from labels.text_format import money_text, weight_text, window_text

QR_PREFIX = "tally:parcel:"  # the QR carries the parcel id, so a courier's phone can open the parcel


def _sscc_symbol(data: ParcelLabelData) -> tuple[Symbol, str]:
    # A 12-digit or lettered "SSCC" must fail here, not print an unscannable label.
    validate_key(data.sscc, "sscc")
    symbol = encode_symbol("gs1-128", "00" + data.sscc)
    return symbol, sscc_display(data.sscc, data.company_prefix_length)


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
