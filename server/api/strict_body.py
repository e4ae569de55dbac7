"""Strict request bodies: `12.0` is not a quantity and `"12"` is not an amount.

Litestar converts a `data: SomeStruct` body in msgspec's lax mode, which turns the float 12.0
and the string "12" into the integer 12. Money and quantities must never arrive that way, so
before a handler runs, its raw body is decoded once more, strictly, against the handler's own
`data` type, and any mismatch is refused with the path of the offending field.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

_decoders: dict[Any, msgspec.json.Decoder | None] = {}


def handler_key(handler: Any) -> Any:
    """A handler's plain function, the same in every app. Not the handler, nor its `fn`, which for a
    controller is a method bound to the controller: Litestar builds those for every app, each holds its
    app (with the app's database), and a cache keyed by them kept every app ever built alive (one a test)."""
    return getattr(handler.fn, "__func__", handler.fn)


def _decoder_for(request: Request) -> msgspec.json.Decoder | None:
    handler = request.route_handler
    if handler_key(handler) not in _decoders:
        field = handler.parsed_fn_signature.parameters.get("data")
        _decoders[handler_key(handler)] = msgspec.json.Decoder(field.annotation, strict=True) if field is not None else None
    return _decoders[handler_key(handler)]


async def strict_body(request: Request) -> None:
    """A before-request hook refusing bodies that only lax conversion would accept."""
    decoder = _decoder_for(request)
    if decoder is None or request.method in {"GET", "HEAD", "DELETE", "OPTIONS"}:
        return
    body = await request.body()
    try:
        decoder.decode(body)
    except msgspec.ValidationError as error:
        message = str(error)
        key = message.rsplit(" - at `", 1)[1].rstrip("`") if " - at `" in message else None
        raise ValidationException(
            "Validation failed", extra=[{"message": message, "key": key, "source": "body"}]
        ) from error
    except msgspec.DecodeError as error:
        raise ValidationException("Malformed body", extra=[{"message": str(error), "source": "body"}]) from error
