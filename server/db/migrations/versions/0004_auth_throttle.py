"""auth throttle: failed enrollment attempts per client address

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sync.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sync.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sync.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttle")),
    )


def downgrade() -> None:
    op.drop_table("auth_throttle")
