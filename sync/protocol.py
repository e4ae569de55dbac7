"""The sync wire protocol (version 1): push and pull envelopes, results and changes.

Ops travel as envelopes whose `payload` stays raw until the op's registered type decodes it, so
one op of an unknown type or with a malformed payload is rejected on its own (and its seq still
advances) instead of failing the whole batch.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = frozenset({1})
MAX_OPS_PER_PUSH = 1000
MAX_PULL_LIMIT = 5000

Seq = Annotated[int, msgspec.Meta(ge=1, le=2**62)]
# An op id is a UUID, with or without hyphens; an op type a name. Their patterns are checked once
# per request over all its ops (`PushRequest.__post_init__`): a pattern on the field itself made
# msgspec call the regex engine twice per op, most of a 500-op body's decoding time.
OP_ID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
OP_TYPE_PATTERN = r"[A-Za-z][A-Za-z0-9_.]{0,63}"
OpId = Annotated[str, msgspec.Meta(min_length=32, max_length=36)]
# Device clocks are kept as data; they must say their offset ("…Z" or "+03:00").
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]
OpType = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]

# All op ids of a request joined by commas, each followed by one. Exact: a valid id holds no comma,
# and an id of at most 36 characters that held one would leave pieces shorter than a valid id.
_OP_IDS = re.compile(rf"(?:{OP_ID_PATTERN},)*")
_OP_TYPE = re.compile(OP_TYPE_PATTERN)


class OpEnvelope(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One operation recorded on a device."""

    op_id: OpId
    seq: Seq
    type: OpType
    captured_at: AwareTime  # the device's clock when the op was recorded
    payload: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"{}"))


class PushRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    protocol: int
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    ops: list[OpEnvelope]  # at most MAX_OPS_PER_PUSH: more is refused with 413 too_many_ops
    pending: Annotated[int, msgspec.Meta(ge=0)] | None = None  # ops the device still holds, for supervisors
    app_version: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    # The device's clock when it sent this request: the difference to the server's clock is its
    # skew (an op's captured_at may be hours old after an offline stretch, so it cannot tell).
    sent_at: AwareTime | None = None

    def __post_init__(self) -> None:
        """The ops' id and type patterns (a ValueError here is a ValidationError to the decoder)."""
        if not _OP_IDS.fullmatch("".join([op.op_id + "," for op in self.ops])):
            bad = next(i for i, op in enumerate(self.ops) if not _OP_IDS.fullmatch(op.op_id + ","))
            raise ValueError(f"Expected `str` matching regex {OP_ID_PATTERN!r} - at `$.ops[{bad}].op_id`")
        for name in {op.type for op in self.ops}:
            if not _OP_TYPE.fullmatch(name):
                bad = next(i for i, op in enumerate(self.ops) if op.type == name)
                raise ValueError(f"Expected `str` matching regex {OP_TYPE_PATTERN!r} - at `$.ops[{bad}].type`")


class OpResult(msgspec.Struct, frozen=True, omit_defaults=True):
    seq: int
    status: Literal["applied", "duplicate", "rejected", "retry"]
    code: str | None = None
    message: str | None = None
    # For `retry` with code `blob_missing`: upload these blobs, then push again from this seq.
    blobs: list[str] | None = None


class PushResponse(msgspec.Struct, frozen=True):
    results: list[OpResult]
    last_seq: int  # the device's last accepted seq (its write checkpoint)
    cursor: str | None = None  # unchanged; the device keeps pulling with its own cursor


class PullRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    protocol: int
    cursor: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PULL_LIMIT)] = 1000
    pending: Annotated[int, msgspec.Meta(ge=0)] | None = None
    app_version: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Change(msgspec.Struct, frozen=True, array_like=False):
    kind: str
    id: str
    op: Literal["put", "del"]
    data: dict[str, Any] | None = None


class PullResponse(msgspec.Struct, frozen=True):
    changes: list[Change]
    cursor: str
    more: bool
    reset: bool  # true: drop the local replica before applying these changes (a fresh snapshot)
    last_seq: int  # the device's last accepted seq: pending ops at or below it are done


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """The error envelope sync clients switch on."""

    status: int
    code: str
    detail: str
    expected_seq: int | None = None
    retry_after: int | None = None
