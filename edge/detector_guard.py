"""A detector's bug costs only that detector: its exceptions are counted and logged.

:class:`analytics.monitor.HomeMonitor` runs a home's detectors one after the other and stops
at the first that raises; since every reading first advances every detector's clock, one
detector failing in ``advance`` would silence all of them, the SOS included. The edge wraps
each detector so that a failure is a counted non-answer (no event from that detector for
that reading) and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from analytics.detector import Detector
from analytics.events import Event
from analytics.monitor import HomeMonitor
from contracts.home import HomeConfig
from contracts.reading import Reading

Failed = Callable[[str, str], None]  # (detector name, what it was doing), in an except block


class GuardedDetector:
    """``detector`` with ``claims``, ``feed`` and ``advance`` that never raise."""

    def __init__(self, detector: Detector, failed: Failed):
        self._detector = detector
        self._failed = failed

    def __getattr__(self, name: str) -> Any:  # name, kinds, state_dict, load_state, ...
        return getattr(self._detector, name)

    def claims(self, reading: Reading) -> bool:
        try:
            return self._detector.claims(reading)
        except Exception:
            self._failed(self._detector.name, f"looking at {reading.metric}")
            return False

    def feed(self, reading: Reading) -> list[Event]:
        try:
            return self._detector.feed(reading)
        except Exception:
            self._failed(self._detector.name, f"fed {reading.metric}")
            return []

    def advance(self, now: float) -> list[Event]:
        try:
            return self._detector.advance(now)
        except Exception:
            self._failed(self._detector.name, "advancing the clock")
            return []


def guarded_monitor(
    config: HomeConfig,
    failed: Failed,
    *,
    detectors: Sequence[type[Detector]] | None = None,
    state: dict[str, Any] | None = None,
) -> HomeMonitor:
    """A HomeMonitor whose detectors are each guarded."""
    monitor = HomeMonitor(config, detectors=detectors, state=state)
    monitor.detectors = [GuardedDetector(d, failed) for d in monitor.detectors]
    return monitor
