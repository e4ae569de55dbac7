"""Small builders for label records used across the label tests."""

import dataclasses
import datetime as dt

from labels.gs1 import build_sscc
from labels.label_data import BinLabelData, EnrollmentCardData, Money, ParcelLabelData, Party, ProductLabelData


def a_parcel(**changes) -> ParcelLabelData:
    parcel = ParcelLabelData(
        sscc=build_sscc(0, "4607012345", "000042"),
        parcel_id="PCL-2026-000042",
        sender=Party("ООО «Тэлли Склад»", "Москва, ул. Складская, д. 1, стр. 2", "+7 495 000-00-00"),
        recipient=Party("Иванова Мария Петровна", "Санкт-Петербург, Невский пр., д. 28, кв. 14", "+7 921 123-45-67"),
        window_from=dt.datetime(2026, 3, 12, 10, 0),
        window_to=dt.datetime(2026, 3, 12, 14, 0),
        parcel_number=1,
        parcel_count=3,
        weight_g=1250,
        order_number="ORD-2026-004217",
        route="R-12",
        stop=7,
        cod=Money(123450, "RUB"),
        company_prefix_length=10,
    )
    return dataclasses.replace(parcel, **changes)


def a_bin(**changes) -> BinLabelData:
    return dataclasses.replace(BinLabelData("A-01-02-03", "Склад Москва-1", "Зона A (сухая)"), **changes)


def a_product(**changes) -> ProductLabelData:
    product = ProductLabelData("4006381333931", "Карандаш чернографитный STABILO Othello 282, твёрдость HB", Money(8990, "RUB"))
    return dataclasses.replace(product, **changes)


def an_enrollment(**changes) -> EnrollmentCardData:
    card = EnrollmentCardData(
        payload="tally:enroll:v1:7Q4M-K2ZP-93XD", code="7Q4M-K2ZP-93XD", role="курьер", expires_at=dt.datetime(2026, 3, 12, 18, 30)
    )
    return dataclasses.replace(card, **changes)
