"""Request-level sync failures, each with an HTTP status and a stable code."""

from __future__ import annotations


class SyncError(Exception):
    """The whole request is refused; nothing it carried was applied."""

    status = 400
    code = "sync_error"

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class InvalidBody(SyncError):
    status = 400
    code = "invalid_body"


class UpgradeRequired(SyncError):
    status = 426
    code = "upgrade_required"


class DeviceMismatch(SyncError):
    status = 403
    code = "device_mismatch"


class SeqGap(SyncError):
    status = 409
    code = "seq_gap"


class DuplicateSeq(SyncError):
    status = 400
    code = "duplicate_seq"


class TooManyOps(SyncError):
    status = 413
    code = "too_many_ops"


class Unavailable(SyncError):
    """A transient failure (the database is busy or away): retry later; nothing advanced."""

    status = 503
    code = "unavailable"
