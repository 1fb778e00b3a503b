"""A detector's bug costs only that detector: its exceptions are counted and logged.

:class:`analytics.monitor.HomeMonitor` runs a home's detectors one after the other and stops
at the first that raises; since every reading first advances every detector's clock, one
detector failing in ``advance`` would silence all of them, the SOS included. The edge wraps
each detector so that a failure is a counted non-answer (no event from that detector for
that reading) and the others go on. The monitor also calls the activity detectors' ``learn``
and ``check`` and the shared whereabouts model's ``observe`` and ``advance`` before the other
detectors see the reading: those are guarded too, so that a bug in the model costs the
activity detectors' events, never an SOS, a fall or a vital sign.

A part's state is saved and restored on its own too: one whose ``state_dict`` fails is saved
as ``null`` and starts fresh, one that cannot take its saved state starts fresh, and the
others resume, so that one detector's bug blocks neither a pushed config nor a state save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from analytics.detector import Detector
from analytics.errors import AnalyticsError
from analytics.events import Event
from analytics.monitor import HomeMonitor
from analytics.whereabouts import Moment, Observation, Whereabouts
from contracts.home import HomeConfig
from contracts.reading import Reading

Failed = Callable[[str, str], None]  # (detector name, what it was doing), in an except block


class GuardedDetector:
    """``detector`` whose calls by the monitor (``claims``, ``feed``, ``advance``, an
    activity detector's ``learn`` and ``check``, and ``state_dict``) never raise."""

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

    def learn(self, observation: Observation) -> None:
        try:
            self._detector.learn(observation)
        except Exception:
            self._failed(self._detector.name, "learning from the whereabouts")

    def check(self, upto: float) -> list[Event]:
        try:
            return self._detector.check(upto)
        except Exception:
            self._failed(self._detector.name, "checking its condition")
            return []

    def state_dict(self) -> dict[str, Any] | None:
        try:
            return self._detector.state_dict()
        except Exception:
            self._failed(self._detector.name, "saving its state")
            return None  # not saved: it starts fresh, the others resume

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        if state is not None:  # None: not saved, see state_dict
            self._detector.load_state(state)


class GuardedWhereabouts:
    """The home's whereabouts model whose ``observe``, ``advance`` and ``state_dict`` never
    raise."""

    def __init__(self, where: Whereabouts, failed: Failed):
        self._where = where
        self._failed = failed

    def __getattr__(self, name: str) -> Any:  # now, state_dict, load_state, ...
        return getattr(self._where, name)

    def observe(self, reading: Reading) -> list[Observation]:
        try:
            return self._where.observe(reading)
        except Exception:
            self._failed("whereabouts", f"observing {reading.metric}")
            return []

    def advance(self, now: float) -> Iterator[Moment]:
        # The moments before the failure have been checked already; the other detectors'
        # clocks still move.
        try:
            yield from self._where.advance(now)
        except Exception:
            self._failed("whereabouts", "advancing the clock")

    def state_dict(self) -> dict[str, Any] | None:
        try:
            return self._where.state_dict()
        except Exception:
            self._failed("whereabouts", "saving its state")
            return None

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        if state is not None:
            self._where.load_state(state)


def guarded_monitor(
    config: HomeConfig,
    failed: Failed,
    *,
    detectors: Sequence[type[Detector]] | None = None,
    state: Mapping[str, Any] | None = None,
) -> HomeMonitor:
    """A HomeMonitor whose detectors and whereabouts model are each guarded, resumed from
    ``state`` part by part: a part that cannot take its saved state starts fresh (counted),
    the others resume. Raises AnalyticsError for a state that is not this home's."""
    while True:
        monitor = HomeMonitor(config, detectors=detectors)
        monitor.whereabouts = GuardedWhereabouts(monitor.whereabouts, failed)
        guards = {id(d): GuardedDetector(d, failed) for d in monitor.detectors}
        monitor.detectors = list(guards.values())
        # The readers the monitor chose, each behind its guard.
        monitor.readers = [guards[id(d)] for d in monitor.readers]
        if state is None:
            return monitor
        try:
            monitor.load_state(state)
        except AnalyticsError as exc:
            rest = _without(state, exc.detector)
            if rest is None:
                raise
            failed(exc.detector, "restoring its state")
            # A half-restored part cannot be trusted: all are built again, without its state.
            state = rest
            continue
        return monitor


def _without(state: Mapping[str, Any], part: str | None) -> dict[str, Any] | None:
    """``state`` without the saved state of ``part``; None if it holds none to drop."""
    if part == "whereabouts" and "whereabouts" in state:
        return {key: value for key, value in state.items() if key != "whereabouts"}
    saved = state.get("detectors")
    if part is None or not isinstance(saved, Mapping) or part not in saved:
        return None
    return {**state, "detectors": {name: s for name, s in saved.items() if name != part}}
