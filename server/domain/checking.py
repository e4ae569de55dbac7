"""The second person's check (проверка): count what was picked for an order, compare with what
should ship, and block packing on any difference until it is resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from server.domain.refusals import Refused


class LineStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"  # fewer counted than should ship
    EXTRA = "extra"  # more counted than should ship (an over-pick still in the tote)
    WRONG = "wrong"  # a product the order does not have


@dataclass(frozen=True, slots=True)
class CheckedLine:
    product_id: int
    expected: int
    counted: int
    status: LineStatus


def expected_units(ordered: Mapping[int, int], shorted: Mapping[int, int]) -> dict[int, int]:
    """What should ship per product: ordered minus what the picker shorted (backordered)."""
    return {pid: qty - shorted.get(pid, 0) for pid, qty in ordered.items() if qty - shorted.get(pid, 0) > 0}


def compare(expected: Mapping[int, int], counted: Mapping[int, int]) -> list[CheckedLine]:
    """Per product: expected against counted, in product order."""
    lines = []
    for pid in sorted(set(expected) | set(counted)):
        e, c = expected.get(pid, 0), counted.get(pid, 0)
        status = LineStatus.OK if e == c else LineStatus.WRONG if e == 0 else LineStatus.MISSING if c < e else LineStatus.EXTRA
        lines.append(CheckedLine(pid, e, c, status))
    return lines


def passed(lines: list[CheckedLine]) -> bool:
    return all(line.status == LineStatus.OK for line in lines)


def check_checker(checker_device: str, picker_devices: set[str]) -> None:
    """A check is only a check when someone other than the picker does it."""
    if checker_device in picker_devices:
        raise Refused("checker_is_picker", "the device that picked this order cannot check it")


def override_reason(reason: str) -> str:
    """A supervisor may accept a discrepancy, but only with a reason."""
    if not reason.strip():
        raise Refused("override_reason_required", "an override needs a reason")
    return reason.strip()
