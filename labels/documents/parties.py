"""How a party (seller, buyer, shipper, consignee) is written on one line of a document."""

from __future__ import annotations

from labels.documents.data import Organization
from labels.documents.strings import strings


def party_text(party: Organization, lang: str) -> str:
    """ "ООО «Ромашка», ИНН 7707083893, КПП 770701001, Москва, ул. Ленина, 1, тел. +7 …"; empty parts left out."""
    s = strings(lang)
    parts = [party.name]
    if party.inn:
        parts.append(f"{s['inn']} {party.inn}")
    if party.kpp:
        parts.append(f"{s['kpp']} {party.kpp}")
    if party.address:
        parts.append(party.address)
    if party.phone:
        parts.append(f"{s['phone']} {party.phone}")
    return ", ".join(p for p in parts if p)


def basis_text(order_number: str, basis: str, lang: str) -> str:
    """The basis of an invoice or waybill: "Заказ № SO-0000042" and any further basis, as one line."""
    parts = [strings(lang)["order_basis"].format(number=order_number)] if order_number else []
    return ", ".join(parts + ([basis] if basis else []))
