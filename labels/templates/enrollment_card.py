"""Device enrollment card, 85.6×54 mm (ID-1): a QR for the handheld's camera and the code to type."""

from __future__ import annotations

from labels.label_data import EnrollmentCardData
from labels.layout import Barcode, Label
from labels.symbols import encode_symbol, qr_size_estimate
from labels.templates.text_box import text_box


def enrollment_card(data: EnrollmentCardData) -> Label:
    """Lay out an enrollment card: QR of the payload, the one-time code in large type, role and expiry."""
    qr = encode_symbol("qr", data.payload)
    module = min(1.0, 38.0 / (qr_size_estimate(qr.payload) + qr.quiet_left + qr.quiet_right))
    code = text_box(4, 50, 6.0, data.code, 78, bold=True)
    if code.text != data.code:
        # A one-time code that people type must never be shortened: refuse rather than print "…".
        raise ValueError(f"enrollment code {data.code!r} is too long for the card")
    items = [
        Barcode(qr, 3 + qr.quiet_left * module, 2 + qr.quiet_vertical * module, module),
        text_box(44, 9, 3.4, "Подключение ТСД", 39, bold=True),
        text_box(44, 16, 3.0, f"Роль: {data.role}", 39),
        text_box(44, 22, 3.0, f"До {data.expires_at:%d.%m.%Y %H:%M}", 39),
        text_box(44, 30, 2.4, "Сканируйте QR камерой", 39),
        text_box(44, 34, 2.4, "или введите код вручную", 39),
        code,
    ]
    return Label("enrollment_card", 85.6, 54, tuple(items))
