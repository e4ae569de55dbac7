"""The encoded form of any barcode: rows of dark (1) and light (0) modules, ready for a renderer."""

from __future__ import annotations

from collections.abc import Callable


class Symbol:
    """An encoded barcode; a linear symbol has one row, stretched to its bar height when drawn.

    The payload is validated when the Symbol is made; the module rows of a 2D symbol are computed on
    first use, because a ZPL printer draws QR and DataMatrix itself and never needs them.
    """

    __slots__ = ("kind", "payload", "quiet_left", "quiet_right", "quiet_vertical", "hri", "_rows", "_make_rows")

    def __init__(
        self,
        kind: str,
        payload: str,
        rows: tuple[str, ...] | Callable[[], tuple[str, ...]],
        quiet_left: int,
        quiet_right: int,
        quiet_vertical: int = 0,
        hri: str = "",
    ) -> None:
        self.kind = kind
        self.payload = payload  # what a decoder returns (GS1: raw element string with GS separators)
        self.quiet_left = quiet_left
        self.quiet_right = quiet_right
        self.quiet_vertical = quiet_vertical
        self.hri = hri  # human-readable interpretation printed under a linear symbol
        self._rows = rows if isinstance(rows, tuple) else None
        self._make_rows = None if isinstance(rows, tuple) else rows

    def __repr__(self) -> str:
        return f"Symbol({self.kind!r}, {self.payload!r})"

    @property
    def rows(self) -> tuple[str, ...]:
        if self._rows is None:
            self._rows = self._make_rows()
        return self._rows

    @property
    def linear(self) -> bool:
        return self.kind in LINEAR_KINDS

    @property
    def width(self) -> int:
        """Width in modules, quiet zones included."""
        return self.quiet_left + len(self.rows[0]) + self.quiet_right

    @property
    def height(self) -> int:
        """Height in modules, quiet zones included (1 + quiet for a linear symbol)."""
        return len(self.rows) + 2 * self.quiet_vertical


LINEAR_KINDS = frozenset({"code128", "gs1-128", "ean13"})
