"""Tests wait for a condition, never for a fixed time: a busy machine only makes them slower.

Every deadline of the suite (a condition waited for, a subprocess, an HTTP request, a
server's start, Playwright's actions and assertions) comes through `patience`. A deadline
only bounds a failure: a test that passes never waits for it, so the numbers are generous,
made for a machine whose cores are taken by other work (`make test-under-load` runs the
timing-sensitive tests beside `stress-ng`). TEST_PATIENCE multiplies them all on a machine
slower still.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable


def _multiplier() -> float:
    try:
        value = float(os.environ.get("TEST_PATIENCE") or 1)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


#: TEST_PATIENCE: how many times longer than the suite's own deadlines to wait (default 1).
PATIENCE = _multiplier()


def patience(seconds: float) -> float:
    """The deadline to use for something that takes at most `seconds` on a busy machine."""
    return seconds * PATIENCE


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Whether `condition()` came true within `patience(timeout)` seconds, asked every
    `interval`."""
    deadline = time.monotonic() + patience(timeout)
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
