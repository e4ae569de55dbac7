"""Integer path and query parameters must fit the database's 64-bit integers.

Litestar parses `{order_id:int}` and `warehouse_id: int | None` into Python ints of any size; a
27-digit id then failed inside the database driver (SQLite: OverflowError; PostgreSQL: out of
range) and answered 500. No row has such an id, so the request is refused up front as a bad
parameter, before any handler or query runs.
"""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import ValidationException

from server.api.strict_body import handler_key

INT64 = (-(2**63), 2**63 - 1)

_names: dict[object, tuple[str, ...]] = {}  # by the handler's plain function: see strict_body.handler_key


def _int_parameters(request: Request) -> tuple[str, ...]:
    handler = request.route_handler
    if handler_key(handler) not in _names:
        fields = handler.parsed_fn_signature.parameters.items()
        _names[handler_key(handler)] = tuple(
            name for name, field in fields
            if name != "data" and (field.is_subclass_of(int) or field.has_inner_subclass_of(int)) and not field.is_subclass_of(bool)
        )  # fmt: skip
    return _names[handler_key(handler)]


async def int_params_in_range(request: Request) -> None:
    """A before-request hook refusing integer parameters no 64-bit column can hold."""
    for name in _int_parameters(request):
        source = "path" if name in request.path_params else "query"
        value = request.path_params.get(name) if source == "path" else request.query_params.get(name)
        try:
            number = int(value) if value is not None else None
        except (TypeError, ValueError):
            continue  # not a number at all: the parameter's own parsing answers that
        if number is not None and not INT64[0] <= number <= INT64[1]:
            raise ValidationException(
                "Validation failed",
                extra=[{"message": f"{name} is out of range", "key": name, "source": source}],
            )
