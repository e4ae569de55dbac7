"""Constrained wire types shared by the API's structs."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import Parameter

Id = Annotated[int, msgspec.Meta(ge=1, le=2**62)]
Quantity = Annotated[int, msgspec.Meta(gt=0, le=10**9, description="Units; a positive integer")]
MinorUnits = Annotated[
    int, msgspec.Meta(ge=0, le=10**15, description="Money in minor units (kopecks, cents): an integer, never a float")
]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217 code")]
Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ShortText = Annotated[str, msgspec.Meta(max_length=300)]
LongText = Annotated[str, msgspec.Meta(max_length=4000)]
# A page size in a query string: Litestar enforces a `Parameter`'s bounds there, not msgspec.Meta's
# (with Meta a negative limit reached the reads and failed with a 500).
Limit = Annotated[int, Parameter(ge=1, le=500, description="Rows per page, 1-500")]


class Page(msgspec.Struct, frozen=True):
    """One keyset page: `next` is an opaque cursor for the following page, or null at the end."""

    next: str | None
