"""default delivery failure reasons

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REASONS = [
    ("absent", "Получателя нет на месте", "Recipient absent"),
    ("refused", "Отказ от заказа", "Refused by the customer"),
    ("wrong_address", "Неверный адрес", "Wrong address"),
    ("no_money", "Нет денег для оплаты", "No money to pay"),
    ("damaged", "Повреждение упаковки", "Damaged parcel"),
    ("no_access", "Нет доступа (шлагбаум, домофон)", "No access (gate, intercom)"),
    ("rescheduled", "Перенос по просьбе клиента", "Rescheduled at the customer's request"),
    ("other", "Другое", "Other"),
]


def upgrade() -> None:
    table = sa.table("failure_reasons", sa.column("code"), sa.column("label_ru"), sa.column("label_en"), sa.column("active"))
    op.bulk_insert(table, [{"code": c, "label_ru": ru, "label_en": en, "active": True} for c, ru, en in REASONS])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM failure_reasons"))
