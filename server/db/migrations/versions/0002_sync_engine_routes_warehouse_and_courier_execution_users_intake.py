"""sync engine, routes, warehouse and courier execution, users, intake

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:23:18.917448
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import sync.types
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blobs'))
    )
    op.create_table('changes',
    sa.Column('version', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('op', sa.String(length=3), nullable=False),
    sa.Column('data', sa.Text(), nullable=True),
    sa.Column('at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_changes'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_scope_version', ['scope', 'version'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('scope', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seen_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_push_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_pull_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('pulled_version', sa.BigInteger(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=True),
    sa.Column('app_version', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('clock_skew_ms', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    op.create_table('enrollments',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('scope', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_enrollments'))
    )
    op.create_table('failure_reasons',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label_ru', sa.String(length=200), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_failure_reasons'))
    )
    op.create_table('op_log',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('op_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('captured_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'seq', name=op.f('pk_op_log'))
    )
    op.create_table('scans',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.Column('context', sa.String(length=64), server_default='', nullable=False),
    sa.Column('captured_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'seq', name=op.f('pk_scans'))
    )
    op.create_table('sscc_blocks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('extension_digit', sa.Integer(), nullable=False),
    sa.Column('company_prefix', sa.String(length=10), nullable=False),
    sa.Column('first_serial', sa.BigInteger(), nullable=False),
    sa.Column('last_serial', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sscc_blocks'))
    )
    with op.batch_alter_table('sscc_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_sscc_blocks_device', ['device_id'], unique=False)

    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('epoch', sa.String(length=32), nullable=False),
    sa.Column('purged_through', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    # The change-log clock starts at version 0 in a fresh epoch.
    op.bulk_insert(
        sa.table("sync_state", sa.column("id"), sa.column("version"), sa.column("epoch"), sa.column("purged_through")),
        [{"id": 1, "version": 0, "epoch": secrets.token_hex(8), "purged_through": 0}],
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('password_hash', sa.String(length=400), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('locale', sa.String(length=8), server_default='ru', nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('couriers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cash_limit', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_couriers_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_couriers'))
    )
    op.create_table('customer_aliases',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('alias', sa.String(length=300), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_aliases_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_customer_aliases_product_id_products')),
    sa.PrimaryKeyConstraint('customer_id', 'alias', name=op.f('pk_customer_aliases'))
    )
    op.create_table('pallets',
    sa.Column('sscc', sa.String(length=18), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_pallets_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('sscc', name=op.f('pk_pallets'))
    )
    op.create_table('pick_lists',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('assigned_to', sa.String(length=64), nullable=True),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_pick_lists_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_lists'))
    )
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.create_index('ix_pick_lists_warehouse_status', ['warehouse_id', 'status'], unique=False)

    op.create_table('user_warehouses',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_warehouses_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_user_warehouses_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('user_id', 'warehouse_id', name=op.f('pk_user_warehouses'))
    )
    op.create_table('web_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('cash_handovers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('courier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shift_day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('expected', sa.BigInteger(), nullable=False),
    sa.Column('counted', sa.BigInteger(), nullable=False),
    sa.Column('difference', sa.BigInteger(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('counted_by', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('captured_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_cash_handovers_courier_id_couriers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_handovers'))
    )
    with op.batch_alter_table('cash_handovers', schema=None) as batch_op:
        batch_op.create_index('ix_cash_handovers_courier_day', ['courier_id', 'shift_day'], unique=False)

    op.create_table('exceptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('opened_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=32), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_exceptions_order_id_orders')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_exceptions_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exceptions'))
    )
    with op.batch_alter_table('exceptions', schema=None) as batch_op:
        batch_op.create_index('ix_exceptions_device_kind', ['device_id', 'kind', 'status'], unique=False)
        batch_op.create_index('ix_exceptions_status_id', ['status', 'id'], unique=False)

    op.create_table('intake_payloads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_intake_payloads_customer_id_customers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_intake_payloads_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_payloads')),
    sa.UniqueConstraint('source', 'external_id', name='uq_intake_payloads_source_external_id')
    )
    with op.batch_alter_table('intake_payloads', schema=None) as batch_op:
        batch_op.create_index('ix_intake_payloads_status_id', ['status', 'id'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_invoices_customer_id_customers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoices_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_invoices_order_id'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_customer_status', ['customer_id', 'status'], unique=False)

    op.create_table('marking_codes',
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('full_code', sa.Text(), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('parcel_id', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('recorded_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_marking_codes_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_marking_codes_product_id_products')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_marking_codes'))
    )
    op.create_table('order_checks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('checked_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('captured_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_checks_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_checks'))
    )
    with op.batch_alter_table('order_checks', schema=None) as batch_op:
        batch_op.create_index('ix_order_checks_order', ['order_id', 'id'], unique=False)

    op.create_table('pick_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pick_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pick_seq', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('picked', sa.BigInteger(), nullable=False),
    sa.Column('shorted', sa.BigInteger(), nullable=False),
    sa.Column('short_reason', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_pick_lines_location_id_locations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_pick_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['pick_list_id'], ['pick_lists.id'], name=op.f('fk_pick_lines_pick_list_id_pick_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_pick_lines_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_lines'))
    )
    with op.batch_alter_table('pick_lines', schema=None) as batch_op:
        batch_op.create_index('ix_pick_lines_list_seq', ['pick_list_id', 'pick_seq'], unique=False)
        batch_op.create_index('ix_pick_lines_order', ['order_id'], unique=False)

    op.create_table('pick_list_orders',
    sa.Column('pick_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tote', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_pick_list_orders_order_id_orders')),
    sa.ForeignKeyConstraint(['pick_list_id'], ['pick_lists.id'], name=op.f('fk_pick_list_orders_pick_list_id_pick_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pick_list_id', 'order_id', name=op.f('pk_pick_list_orders'))
    )
    with op.batch_alter_table('pick_list_orders', schema=None) as batch_op:
        batch_op.create_index('ix_pick_list_orders_order', ['order_id'], unique=False)

    op.create_table('routes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('courier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('vehicle', sa.String(length=64), server_default='', nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('dispatched_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('dispatch_override', sa.Text(), nullable=True),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_routes_courier_id_couriers')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_routes_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routes'))
    )
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.create_index('ix_routes_courier_day', ['courier_id', 'day'], unique=False)
        batch_op.create_index('ix_routes_warehouse_day', ['warehouse_id', 'day'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('route_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('courier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('recipient_name', sa.String(length=200), nullable=True),
    sa.Column('signature_png', sa.String(length=64), nullable=True),
    sa.Column('signature_strokes', sa.String(length=64), nullable=True),
    sa.Column('photos', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lat_e6', sa.BigInteger(), nullable=True),
    sa.Column('lon_e6', sa.BigInteger(), nullable=True),
    sa.Column('accuracy_m', sa.Integer(), nullable=True),
    sa.Column('failure_reason', sa.String(length=32), nullable=True),
    sa.Column('refused', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('parcels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('captured_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_deliveries_courier_id_couriers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_deliveries_order_id_orders')),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_deliveries_route_id_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_order', ['order_id'], unique=False)
        batch_op.create_index('ix_deliveries_route', ['route_id'], unique=False)

    op.create_table('intake_lines',
    sa.Column('payload_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('article', sa.String(length=100), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=True),
    sa.Column('price', sa.BigInteger(), nullable=True),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('candidates', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['payload_id'], ['intake_payloads.id'], name=op.f('fk_intake_lines_payload_id_intake_payloads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_intake_lines_product_id_products')),
    sa.PrimaryKeyConstraint('payload_id', 'line_no', name=op.f('pk_intake_lines'))
    )
    op.create_table('parcels',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sscc', sa.String(length=18), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=True),
    sa.Column('pallet_sscc', sa.String(length=18), nullable=True),
    sa.Column('route_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('packed_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('loaded_at', sync.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_parcels_order_id_orders')),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_parcels_route_id_routes')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_parcels_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcels')),
    sa.UniqueConstraint('sscc', name=op.f('uq_parcels_sscc'))
    )
    with op.batch_alter_table('parcels', schema=None) as batch_op:
        batch_op.create_index('ix_parcels_order', ['order_id'], unique=False)
        batch_op.create_index('ix_parcels_route', ['route_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tendered', sa.BigInteger(), nullable=True),
    sa.Column('change_given', sa.BigInteger(), nullable=True),
    sa.Column('terminal_ref', sa.String(length=64), nullable=True),
    sa.Column('receipt_no', sa.String(length=64), nullable=True),
    sa.Column('courier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('bank_ref', sa.String(length=100), nullable=True),
    sa.Column('handover_id', sa.String(length=36), nullable=True),
    sa.Column('captured_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount_positive')),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_payments_courier_id_couriers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_courier', ['courier_id', 'captured_at'], unique=False)
        batch_op.create_index('ix_payments_order', ['order_id'], unique=False)

    op.create_table('route_stops',
    sa.Column('route_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stop_no', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_route_stops_order_id_orders')),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_route_stops_route_id_routes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('route_id', 'stop_no', name=op.f('pk_route_stops'))
    )
    with op.batch_alter_table('route_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_stops_order_id'), ['order_id'], unique=False)

    op.create_table('warehouse_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('exception_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sync.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exception_id'], ['exceptions.id'], name=op.f('fk_warehouse_tasks_exception_id_exceptions')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_warehouse_tasks_location_id_locations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_warehouse_tasks_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_warehouse_tasks_product_id_products')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_warehouse_tasks_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouse_tasks'))
    )
    with op.batch_alter_table('warehouse_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_warehouse_tasks_status', ['warehouse_id', 'status'], unique=False)

    op.create_table('parcel_items',
    sa.Column('parcel_id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['parcel_id'], ['parcels.id'], name=op.f('fk_parcel_items_parcel_id_parcels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_parcel_items_product_id_products')),
    sa.PrimaryKeyConstraint('parcel_id', 'product_id', name=op.f('pk_parcel_items'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pod_policy', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pod_policy', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('pod_code_hash', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('pod_code_hash')
        batch_op.drop_column('pod_policy')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('pod_policy')

    op.drop_table('parcel_items')
    with op.batch_alter_table('warehouse_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_warehouse_tasks_status')

    op.drop_table('warehouse_tasks')
    with op.batch_alter_table('route_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_stops_order_id'))

    op.drop_table('route_stops')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_order')
        batch_op.drop_index('ix_payments_courier')

    op.drop_table('payments')
    with op.batch_alter_table('parcels', schema=None) as batch_op:
        batch_op.drop_index('ix_parcels_route')
        batch_op.drop_index('ix_parcels_order')

    op.drop_table('parcels')
    op.drop_table('intake_lines')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_route')
        batch_op.drop_index('ix_deliveries_order')

    op.drop_table('deliveries')
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.drop_index('ix_routes_warehouse_day')
        batch_op.drop_index('ix_routes_courier_day')

    op.drop_table('routes')
    with op.batch_alter_table('pick_list_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_pick_list_orders_order')

    op.drop_table('pick_list_orders')
    with op.batch_alter_table('pick_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_pick_lines_order')
        batch_op.drop_index('ix_pick_lines_list_seq')

    op.drop_table('pick_lines')
    with op.batch_alter_table('order_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_order_checks_order')

    op.drop_table('order_checks')
    op.drop_table('marking_codes')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_customer_status')

    op.drop_table('invoices')
    with op.batch_alter_table('intake_payloads', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_payloads_status_id')

    op.drop_table('intake_payloads')
    with op.batch_alter_table('exceptions', schema=None) as batch_op:
        batch_op.drop_index('ix_exceptions_status_id')
        batch_op.drop_index('ix_exceptions_device_kind')

    op.drop_table('exceptions')
    with op.batch_alter_table('cash_handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_cash_handovers_courier_day')

    op.drop_table('cash_handovers')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))

    op.drop_table('web_sessions')
    op.drop_table('user_warehouses')
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.drop_index('ix_pick_lists_warehouse_status')

    op.drop_table('pick_lists')
    op.drop_table('pallets')
    op.drop_table('customer_aliases')
    op.drop_table('couriers')
    op.drop_table('users')
    op.drop_table('sync_state')
    with op.batch_alter_table('sscc_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sscc_blocks_device')

    op.drop_table('sscc_blocks')
    op.drop_table('scans')
    op.drop_table('op_log')
    op.drop_table('failure_reasons')
    op.drop_table('enrollments')
    op.drop_table('devices')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_scope_version')

    op.drop_table('changes')
    op.drop_table('blobs')
