"""Refusals: the domain's way of saying no, with a stable code a client can switch on."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A rule said no. `code` names the rule; `context` carries what a client needs to react."""

    def __init__(self, code: str, message: str, **context: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.context = context

    def __repr__(self) -> str:
        return f"Refused({self.code!r}, {self.message!r})"


class NotFound(Refused):
    """The thing a command names does not exist (or is not visible to the caller)."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind}_not_found", f"{kind.replace('_', ' ')} {key!r} not found", key=str(key))
