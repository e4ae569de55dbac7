"""Proof of delivery (подтверждение доставки): when, to whom, where, the drawn signature and the parcels."""

from __future__ import annotations

from labels.documents.data import ProofOfDeliveryData
from labels.documents.formatting import coordinates_text, datetime_text, number_text
from labels.documents.model import (
    Column,
    Document,
    Fields,
    Figure,
    Heading,
    Row,
    Table,
    Title,
    code128,
    picture,
    qr_code,
    sscc_code,
)
from labels.documents.strings import strings

WIDTHS = (10.0, 176.0)  # portrait: 186 mm
SIGNATURE_BOX = (80.0, 40.0)  # mm: the drawn signature is scaled into this box, aspect kept


def proof_of_delivery(data: ProofOfDeliveryData, lang: str) -> Document:
    """Lay out the proof of delivery of one order."""
    s = strings(lang)
    fields = [(s["order"], data.order_number)]
    if data.customer:
        fields.append((s["customer"], data.customer))
    if data.address:
        fields.append((s["address"], data.address))
    fields += [(s["pod.delivered_at"], datetime_text(data.delivered_at, lang)), (s["pod.recipient"], data.recipient_name)]
    if data.courier:
        fields.append((s["pod.courier"], data.courier))
    if data.geo:
        where = coordinates_text(data.geo.lat, data.geo.lon)
        if data.geo.accuracy_m is not None:
            where += " " + s["pod.accuracy"].format(metres=number_text(round(data.geo.accuracy_m), lang))
        fields.append((s["pod.location"], where))
    if data.notes:
        fields.append((s["notes"], data.notes))
    signature = picture(data.signature_png, *SIGNATURE_BOX) if data.signature_png else s["pod.no_signature"]
    columns = (Column(s["no"], WIDTHS[0], "right"), Column("SSCC", WIDTHS[1]))
    # The HRI under each symbol is the SSCC for people; a malformed SSCC prints as text only.
    rows = tuple(Row((str(n), sscc_code(sscc, 70) or sscc)) for n, sscc in enumerate(data.parcels, start=1))
    blocks = [
        Title(s["pod.title"].format(number=data.order_number), code128(data.order_number, 70, 10)),
        Fields(tuple(fields)),
        Figure(s["pod.signature"], signature),
        Heading(s["pod.parcels"]),
        Table(columns, rows),
    ]
    if data.geo:
        # RFC 5870 geo URI: a phone's camera app opens the point in a map.
        blocks.append(Figure(s["pod.map"], qr_code(f"geo:{data.geo.lat:.6f},{data.geo.lon:.6f}", 30)))
    title = s["pod.title"].format(number=data.order_number)
    return Document(title=title, lang=lang, blocks=tuple(blocks))
