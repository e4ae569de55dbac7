"""When a field fact happened, on the server's clock (DESIGN principle 9: two clocks).

A push carries the device's clock (`sent_at`); the server measures the device's offset from it
(`Device.clock_skew_ms`) and flags an offset beyond the tolerance as a `clock_skew` exception. A
phone whose clock is a day off would otherwise put its cash and deliveries on the wrong shift day:
money facts take the device's time corrected by the offset measured at that push. Within the
tolerance the device's time is kept as it is. The raw device time always stays in the op log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sync.registry import Device


def fact_time(device: Device, captured_at: datetime) -> datetime:
    """The device's `captured_at`, corrected by its measured clock offset when that offset is flagged."""
    # Imported here: the workspace imports the op handlers that call this (one tolerance, one place).
    from server.syncapp.workspace import SKEW_TOLERANCE_MS

    skew = device.clock_skew_ms
    if skew is None or abs(skew) <= SKEW_TOLERANCE_MS:
        return captured_at
    return captured_at - timedelta(milliseconds=skew)
