"""The central record's tables (SQLAlchemy Core). Alembic migrations are generated from these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)

from sync.tables import define_sync_tables
from sync.types import BigId, Json, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("address", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
)

locations = Table(
    "locations",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("barcode", String(64), nullable=False, unique=True),
    Column("zone", String(32), nullable=False, server_default=""),
    Column("pick_seq", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("warehouse_id", "code", name="uq_locations_warehouse_code"),
    Index("ix_locations_warehouse_pick_seq", "warehouse_id", "pick_seq"),
)

products = Table(
    "products",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("unit", String(16), nullable=False, server_default="pcs"),
    Column("price", BigInteger, nullable=False),  # minor units of `currency`
    Column("currency", String(3), nullable=False),
    Column("weight_g", Integer, nullable=False, server_default="0"),
    Column("marked", Boolean, nullable=False, server_default="0"),  # carries marking codes (Честный ЗНАК)
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

product_barcodes = Table(
    "product_barcodes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("product_id", ForeignKey("products.id"), nullable=False, index=True),
    Column("multiplier", Integer, nullable=False, server_default="1"),
    CheckConstraint("multiplier >= 1", name="multiplier_positive"),
)

bin_stock = Table(
    "bin_stock",
    metadata,
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
    CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    Index("ix_bin_stock_product", "product_id"),
)

# Per warehouse and product: what is physically there and how much of it is promised.
product_stock = Table(
    "product_stock",
    metadata,
    Column("warehouse_id", ForeignKey("warehouses.id"), primary_key=True),
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("on_hand", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    # The database refuses what the domain refuses: available stock never goes below zero.
    CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(300), nullable=False),
    Column("inn", String(12)),
    Column("kpp", String(9)),
    Column("legal_address", Text),
    Column("phone", String(32)),
    Column("email", String(200)),
    Column("department", String(200)),
    Column("identity", Json),  # a person's identity document, as the TORG-26 form asks
    # What a proof of delivery must hold for this customer: {"signature": bool, "photo": bool, "code": bool}.
    Column("pod_policy", Json),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_customers_kind_id", "kind", "id"),
)

customer_contacts = Table(
    "customer_contacts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("role", String(100), nullable=False, server_default=""),
    Column("phone", String(32)),
    Column("email", String(200)),
)

customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("label", String(100), nullable=False, server_default=""),
    Column("text", Text, nullable=False),
    Column("city", String(100), nullable=False, server_default=""),
    Column("postal_code", String(16), nullable=False, server_default=""),
)

orders = Table(
    "orders",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("payment_kind", String(24), nullable=False),
    Column("payment_due_days", Integer, nullable=False, server_default="0"),
    Column("delivery_address", Text),
    Column("delivery_date", Date),
    Column("window_start", Time),
    Column("window_end", Time),
    Column("notes", Text, nullable=False, server_default=""),
    Column("external_ref", String(100)),
    Column("pod_policy", Json),  # overrides the customer's proof-of-delivery policy for this order
    Column("pod_code_hash", String(64)),  # sha256 of the code the customer received, when the policy asks for one
    Column("cancel_reason", String(32)),
    Column("cancel_note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Keyset pages are newest first by id; each filter has an index that ends in id.
    Index("ix_orders_status_id", "status", "id"),
    Index("ix_orders_customer_id", "customer_id", "id"),
    Index("ix_orders_source_id", "source", "id"),
    Index("ix_orders_warehouse_status", "warehouse_id", "status"),
    Index("ix_orders_warehouse_id", "warehouse_id", "id"),
    Index("ix_orders_customer_status_id", "customer_id", "status", "id"),
    Index("ix_orders_created_at", "created_at"),
    Index("ix_orders_delivery_date", "delivery_date"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", ForeignKey("products.id"), nullable=False, index=True),
    Column("sku", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

stock_moves = Table(
    "stock_moves",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("from_location_id", ForeignKey("locations.id")),
    Column("to_location_id", ForeignKey("locations.id")),
    Column("quantity", BigInteger, nullable=False),
    Column("cause", String(24), nullable=False),
    Column("reason", String(32)),
    Column("note", Text, nullable=False, server_default=""),
    Column("order_id", ForeignKey("orders.id")),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_stock_moves_product_id", "product_id", "id"),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("data", Json, nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("device_id", String(64)),
    Column("captured_at", UtcDateTime),  # the device's clock, kept as data
    Column("recorded_at", UtcDateTime, nullable=False),  # the server's clock, which orders events
    Index("ix_order_events_order_id", "order_id", "id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; the token is never stored
    Column("role", String(24), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("warehouse_id", ForeignKey("warehouses.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("token_id", ForeignKey("api_tokens.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    # Written first (claiming the key, which makes concurrent twins wait), set once the order exists.
    Column("order_id", ForeignKey("orders.id")),
    Column("created_at", UtcDateTime, nullable=False),
)

couriers = Table(
    "couriers",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(32)),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("cash_limit", BigInteger),  # minor units of cash on hand above which supervisors are warned
    Column("created_at", UtcDateTime, nullable=False),
)

routes = Table(
    "routes",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("courier_id", ForeignKey("couriers.id"), nullable=False),
    Column("vehicle", String(64), nullable=False, server_default=""),
    Column("status", String(24), nullable=False),  # planned | loading | dispatched | completed
    Column("dispatched_at", UtcDateTime),
    Column("dispatch_override", Text),  # a supervisor's reason for dispatching with parcels missing
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_routes_courier_day", "courier_id", "day"),
    Index("ix_routes_warehouse_day", "warehouse_id", "day"),
)

route_stops = Table(
    "route_stops",
    metadata,
    Column("route_id", ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True),
    Column("stop_no", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
)

# Raw scans reported by devices: facts kept for audit and productivity reports.
scans = Table(
    "scans",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("code", String(200), nullable=False),
    Column("location", String(64)),
    Column("context", String(64), nullable=False, server_default=""),
    Column("captured_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

# The sync engine's own tables (devices, enrollments, op log, change log, blobs) live in the
# same schema and migration history.
SYNC = define_sync_tables(metadata)

# Contradictions the field reported (a fact that disagrees with the central record), and other
# things a supervisor must look at. Resolutions are recorded, never deleted.
exceptions = Table(
    "exceptions",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(32), nullable=False),  # over_pick, delivered_after_cancel, clock_skew, ...
    Column("status", String(16), nullable=False),  # open | resolved
    Column("warehouse_id", ForeignKey("warehouses.id")),
    Column("order_id", ForeignKey("orders.id")),
    Column("device_id", String(64)),
    Column("seq", BigInteger),  # the op that revealed it
    Column("detail", Json, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("resolution", String(32)),
    Column("resolution_note", Text),
    Column("resolved_by", String(100)),
    Index("ix_exceptions_status_id", "status", "id"),
    Index("ix_exceptions_device_kind", "device_id", "kind", "status"),
)

# --- Warehouse execution: pick lists, picking, checking, packing, loading ---------------------

pick_lists = Table(
    "pick_lists",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # order | wave
    Column("status", String(16), nullable=False),  # open | done | cancelled
    Column("claimed_by", String(64)),  # the device holding it (an intent another device is refused)
    Column("claimed_at", UtcDateTime),
    Column("assigned_to", String(64)),  # a device the office assigned it to (only that device may claim)
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_pick_lists_warehouse_status", "warehouse_id", "status"),
)

# Which orders a pick list gathers, and the tote each one is picked into (cluster picking).
pick_list_orders = Table(
    "pick_list_orders",
    metadata,
    Column("pick_list_id", ForeignKey("pick_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("tote", String(64), nullable=False),
    Index("ix_pick_list_orders_order", "order_id"),
)

pick_lines = Table(
    "pick_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("pick_list_id", ForeignKey("pick_lists.id", ondelete="CASCADE"), nullable=False),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("pick_seq", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),  # to pick from this bin
    Column("picked", BigInteger, nullable=False),
    Column("shorted", BigInteger, nullable=False),
    Column("short_reason", String(24)),
    Index("ix_pick_lines_list_seq", "pick_list_id", "pick_seq"),
    Index("ix_pick_lines_order", "order_id"),
)

# Every unit that carries a marking code (Честный ЗНАК), once: the primary key refuses a code
# scanned twice anywhere. Aggregation follows it: unit -> parcel -> pallet.
marking_codes = Table(
    "marking_codes",
    metadata,
    Column("code", String(200), primary_key=True),  # GTIN + serial: the unit's identity
    Column("full_code", Text, nullable=False),  # as scanned, crypto tail included
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("parcel_id", String(36)),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

# Work the warehouse must do because of what the field reported: put back an over-pick,
# recount a bin a picker found short.
warehouse_tasks = Table(
    "warehouse_tasks",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # put_back | recount
    Column("status", String(16), nullable=False),  # open | done
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id")),
    Column("quantity", BigInteger, nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("exception_id", ForeignKey("exceptions.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_warehouse_tasks_status", "warehouse_id", "status"),
)

# The second person's check of an order: one row per check, the result per line as data.
order_checks = Table(
    "order_checks",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("result", String(16), nullable=False),  # passed | discrepancy | overridden
    Column("lines", Json, nullable=False),  # [{product_id, expected, counted, status}]
    Column("checked_at", UtcDateTime, nullable=False),  # server time
    Column("captured_at", UtcDateTime, nullable=False),  # device time
    Index("ix_order_checks_order", "order_id", "id"),
)

# Blocks of SSCC serial references handed to packing devices in advance, so labels print offline.
sscc_blocks = Table(
    "sscc_blocks",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("extension_digit", Integer, nullable=False),
    Column("company_prefix", String(10), nullable=False),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_sscc_blocks_device", "device_id"),
)

parcels = Table(
    "parcels",
    metadata,
    Column("id", String(36), primary_key=True),  # generated on the device, so it exists offline
    Column("sscc", String(18), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("status", String(16), nullable=False),  # open | closed | loaded | delivered | refused | returned
    Column("weight_g", Integer),
    Column("pallet_sscc", String(18)),
    Column("route_id", ForeignKey("routes.id")),
    Column("packed_by", String(64), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("loaded_at", UtcDateTime),
    Index("ix_parcels_order", "order_id"),
    Index("ix_parcels_route", "route_id"),
)

parcel_items = Table(
    "parcel_items",
    metadata,
    Column("parcel_id", ForeignKey("parcels.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

pallets = Table(
    "pallets",
    metadata,
    Column("sscc", String(18), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# --- People who sign in to the supervisor and office pages ----------------------------------

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("password_hash", String(400), nullable=False),
    Column("role", String(24), nullable=False),  # admin | office | supervisor
    Column("locale", String(8), nullable=False, server_default="ru"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime),
)

# The warehouses a user may see; a user with none sees every warehouse (admin, office).
user_warehouses = Table(
    "user_warehouses",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), primary_key=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the cookie value
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

# Failed attempts at the doors that take no token (device enrollment by code), per client address:
# counted in the database so that several server processes share one count (migration 0004).
auth_throttle = Table(
    "auth_throttle",
    metadata,
    Column("key", String(200), primary_key=True),  # what is counted, e.g. "enroll:203.0.113.7"
    Column("failures", Integer, nullable=False),
    Column("window_start", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime),
)

# --- Delivery, payment and cash: the courier's facts and the money they account for -------------

# Reasons a delivery may fail, as couriers pick them (configurable; codes are stable).
failure_reasons = Table(
    "failure_reasons",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("label_ru", String(200), nullable=False),
    Column("label_en", String(200), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),  # made on the phone
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("route_id", ForeignKey("routes.id"), nullable=False),
    Column("courier_id", ForeignKey("couriers.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | partial | failed
    Column("recipient_name", String(200)),
    Column("signature_png", String(64)),  # blob sha256
    Column("signature_strokes", String(64)),  # blob sha256
    Column("photos", Json, nullable=False),  # [blob sha256]
    Column("lat_e6", BigInteger),  # microdegrees: integers, like money
    Column("lon_e6", BigInteger),
    Column("accuracy_m", Integer),
    Column("failure_reason", String(32)),
    Column("refused", Json, nullable=False),  # [{product_id, quantity, reason}] for partial deliveries
    Column("parcels", Json, nullable=False),  # SSCCs scanned at the door
    Column("note", Text, nullable=False, server_default=""),
    Column("captured_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_deliveries_order", "order_id"),
    Index("ix_deliveries_route", "route_id"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # open | paid | void
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_invoices_customer_status", "customer_id", "status"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),  # made where the payment was taken (a phone, an import)
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("invoice_id", ForeignKey("invoices.id")),
    Column("source", String(16), nullable=False),  # cod | bank | manual
    Column("method", String(16), nullable=False),  # cash | card | transfer
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("currency", String(3), nullable=False),
    Column("tendered", BigInteger),  # cash handed over by the customer
    Column("change_given", BigInteger),
    Column("terminal_ref", String(64)),
    Column("receipt_no", String(64)),
    Column("courier_id", ForeignKey("couriers.id")),
    Column("device_id", String(64)),
    Column("seq", BigInteger),
    Column("bank_ref", String(100)),
    Column("handover_id", String(36)),  # the cash handover that accounted for this cash
    Column("captured_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index("ix_payments_order", "order_id"),
    Index("ix_payments_courier", "courier_id", "captured_at"),
)

# End of shift: the cashier counts what the courier hands over; the difference to the cash the
# courier recorded is kept, and a supervisor closes it with a note.
cash_handovers = Table(
    "cash_handovers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("courier_id", ForeignKey("couriers.id"), nullable=False),
    Column("shift_day", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected", BigInteger, nullable=False),  # cash recorded by payments not yet handed over
    Column("counted", BigInteger, nullable=False),
    Column("difference", BigInteger, nullable=False),  # counted - expected
    Column("device_id", String(64)),
    Column("seq", BigInteger),
    Column("counted_by", String(100), nullable=False),
    Column("status", String(16), nullable=False),  # open | closed
    Column("closed_by", String(100)),
    Column("close_note", Text),
    Column("captured_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_cash_handovers_courier_day", "courier_id", "shift_day"),
)

# --- Order intake: nothing received is lost -------------------------------------------------

# Every payload a shop or an import sends is stored first, then turned into an order; a failure
# leaves it here with the reason, visible and retryable.
intake_payloads = Table(
    "intake_payloads",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("source", String(64), nullable=False),  # the integration (shop, file import) it came from
    Column("external_id", String(200), nullable=False),  # the sender's own id: idempotency key
    Column("kind", String(16), nullable=False),  # order | spreadsheet
    Column("content_type", String(100), nullable=False),
    Column("raw", LargeBinary, nullable=False),  # the bytes as received
    Column("status", String(16), nullable=False),  # received | done | review | failed
    Column("reason", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("order_id", ForeignKey("orders.id")),
    Column("customer_id", ForeignKey("customers.id")),
    Column("received_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "external_id", name="uq_intake_payloads_source_external_id"),
    Index("ix_intake_payloads_status_id", "status", "id"),
)

# Each free-text line of an intake and the catalog item it was matched to (or the candidates a
# manager chooses from).
intake_lines = Table(
    "intake_lines",
    metadata,
    Column("payload_id", ForeignKey("intake_payloads.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("article", String(100)),
    Column("quantity", BigInteger),
    Column("price", BigInteger),
    Column("product_id", ForeignKey("products.id")),
    Column("score", Integer),  # 0-100
    Column("reason", String(32)),  # barcode | sku | alias | fuzzy | none
    Column("candidates", Json, nullable=False),  # [{product_id, score}]
    Column("status", String(16), nullable=False),  # matched | review | resolved | invalid
    Column("problem", Text),
)

# What a customer calls a catalog item, learned from a manager's choice and used next time.
customer_aliases = Table(
    "customer_aliases",
    metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(300), primary_key=True),  # normalized text
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
