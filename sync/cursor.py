"""Opaque pull cursors. A cursor is either in the snapshot (a keyset position inside the current
state, plus the log version the snapshot started from) or in the log (the last version seen).
Both carry the epoch and a digest of the device's scopes: either changing means a reset."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import msgspec


class LogCursor(msgspec.Struct, frozen=True, array_like=True, tag="l"):
    epoch: str
    scopes: str
    version: int


class SnapshotCursor(msgspec.Struct, frozen=True, array_like=True, tag="s"):
    epoch: str
    scopes: str
    base: int  # the log version the snapshot started from
    position: str | None


Cursor = LogCursor | SnapshotCursor
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Cursor)


def scopes_digest(scopes: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(scopes)).encode()).hexdigest()[:12]


def encode(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(_encoder.encode(cursor)).decode().rstrip("=")


def decode(text: str) -> Cursor | None:
    """The cursor, or None for anything this server did not issue (answered with a reset)."""
    try:
        return _decoder.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, msgspec.DecodeError):
        return None
