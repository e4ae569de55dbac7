"""Opaque keyset cursors: what a page ended on, encoded so clients cannot depend on its shape."""

from __future__ import annotations

import base64

import msgspec

from server.domain.refusals import Refused


def encode_cursor(*key: int | str) -> str:
    """Encode the sort key of a page's last row."""
    return base64.urlsafe_b64encode(msgspec.json.encode(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str, shape: tuple[type, ...]) -> tuple:
    """Decode a cursor made by `encode_cursor`, refusing anything else with `cursor_invalid`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw, type=list[int | str])
    except (ValueError, msgspec.DecodeError) as error:
        raise Refused("cursor_invalid", "the cursor is not one this server issued") from error
    if len(values) != len(shape) or not all(type(v) is t for v, t in zip(values, shape, strict=True)):
        raise Refused("cursor_invalid", "the cursor is not one this server issued")
    return tuple(values)
