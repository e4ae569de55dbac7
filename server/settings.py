"""Settings, read from the environment when asked (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/tally.db"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    # The URL devices and printed QR codes use to reach this server.
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 1024 * 1024
    max_blob_bytes: int = 2 * 1024 * 1024
    sqlite_synchronous: str = "FULL"
    # The pages' cookies: True always Secure, False never (plain-HTTP development), None Secure exactly
    # when the request came over https. `TALLY_COOKIE_SECURE`: 1, 0, or unset / `auto`.
    cookie_secure: bool | None = None
    debug: bool = False
    # New SSCCs (GS1 GenSpecs 2.2.1): extension digit + GS1 Company Prefix + serial reference.
    # Checked where a block is issued (a refusal with a code), so a bad value cannot stop the server.
    gs1_company_prefix: str = "4601234"
    sscc_extension: str = "0"
    sscc_first_block: int = 500  # serials a packing handheld receives at enrollment; 0: none
    # The seller on invoices and waybills. Empty name or address: the shipping warehouse's stands in.
    # Checked where a document is printed (a refusal with a code), like the SSCC numbering.
    seller_name: str = ""
    seller_inn: str = ""
    seller_kpp: str = ""
    seller_address: str = ""
    vat_rate: int | None = None  # percent, prices include it; None: "without VAT"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `DATABASE_URL` and `TALLY_*` variables."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL", defaults.database_url),
            public_url=env.get("TALLY_PUBLIC_URL", defaults.public_url),
            max_body_bytes=int(env.get("TALLY_MAX_BODY_BYTES", defaults.max_body_bytes)),
            max_blob_bytes=int(env.get("TALLY_MAX_BLOB_BYTES", defaults.max_blob_bytes)),
            sqlite_synchronous=env.get("TALLY_SQLITE_SYNCHRONOUS", defaults.sqlite_synchronous).upper(),
            cookie_secure=_tri_state(env.get("TALLY_COOKIE_SECURE", "auto")),
            debug=env.get("TALLY_DEBUG", "") in {"1", "true", "yes"},
            gs1_company_prefix=env.get("TALLY_GS1_COMPANY_PREFIX", defaults.gs1_company_prefix).strip(),
            sscc_extension=env.get("TALLY_SSCC_EXTENSION", defaults.sscc_extension).strip(),
            sscc_first_block=int(env.get("TALLY_SSCC_FIRST_BLOCK", defaults.sscc_first_block)),
            seller_name=env.get("TALLY_SELLER_NAME", "").strip(),
            seller_inn=env.get("TALLY_SELLER_INN", "").strip(),
            seller_kpp=env.get("TALLY_SELLER_KPP", "").strip(),
            seller_address=env.get("TALLY_SELLER_ADDRESS", "").strip(),
            vat_rate=int(env["TALLY_VAT_RATE"]) if env.get("TALLY_VAT_RATE", "").strip() else None,
        )


def _tri_state(raw: str) -> bool | None:
    """`1`/`true`/`yes`: True; `auto` or empty: None; anything else: False."""
    raw = raw.strip().lower()
    return None if raw in ("", "auto") else raw in ("1", "true", "yes")
