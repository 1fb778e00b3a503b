"""HomeMonitor: all detectors of one home, driven by its readings in event time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contracts.home import HomeConfig
from contracts.reading import Reading

from .activity.base import ActivityDetector
from .context import HomeContext
from .detector import Detector
from .errors import AnalyticsError
from .events import Event
from .whereabouts import Moment, Observation, Whereabouts


def default_detectors() -> tuple[type[Detector], ...]:
    # Imported here so each detector module stays importable (and testable) on its own.
    from .registry import DETECTORS

    return DETECTORS


class HomeMonitor:
    """Feeds one home's readings to every detector and collects their events.

    Event time only moves forward: a reading older than the newest one seen is still given
    to the detectors (a vital sign is still a vital sign) but never turns the clock back.

    The monitor owns the home's whereabouts model (where the resident is, what the sensors
    can tell), feeds it once per reading, and lets every activity detector read it.

    >>> from contracts.home import HomeConfig
    >>> home = HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "sos_bed", "kind": "sos_button", "role": "bedside",
    ...                  "source": "zigbee2mqtt:sos"}]})
    >>> monitor = HomeMonitor(home)
    >>> press = Reading(ts=1764372665, home="h001", device="sos_bed", metric="sos", value=True)
    >>> [(e.kind, e.state, e.severity) for e in monitor.feed(press)]
    [('sos', 'raised', 'critical')]
    """

    def __init__(
        self,
        config: HomeConfig,
        detectors: Sequence[type[Detector]] | None = None,
        state: Mapping[str, Any] | None = None,
    ):
        self._detector_types = tuple(detectors or default_detectors())
        self.config = config
        self.now: float | None = None
        self.late_readings = 0
        self._build()
        if state is not None:
            self.load_state(state)

    def _build(self) -> None:
        self.context = HomeContext(self.config)
        self.whereabouts = Whereabouts(self.context)
        self.detectors: list[Detector] = [
            kind(self.context, self.whereabouts)  # type: ignore[call-arg]
            if issubclass(kind, ActivityDetector)
            else kind(self.context)
            for kind in self._detector_types
            if kind.applies_to(self.config)
        ]
        # Public: whoever wraps the detectors (the edge guards each) must wrap these too.
        self.readers = [d for d in self.detectors if isinstance(d, ActivityDetector)]

    @property
    def home(self) -> str:
        return self.config.home

    def feed(self, reading: Reading) -> list[Event]:
        if reading.home != self.home:
            raise AnalyticsError(f"reading for home {reading.home!r} fed to {self.home!r}")
        ts = reading.epoch
        events = self.advance(ts)
        if self.now is not None and ts < self.now:
            self.late_readings += 1
        claimant = next((d for d in self.detectors if d.claims(reading)), None)
        if claimant is None and self.readers:
            self._learn(self.whereabouts.observe(reading))
        for detector in (claimant,) if claimant else self.detectors:
            events.extend(detector.feed(reading))
        return events

    def feed_many(self, readings: Iterable[Reading]) -> list[Event]:
        events: list[Event] = []
        for reading in readings:
            events.extend(self.feed(reading))
        return events

    def advance(self, now: float) -> list[Event]:
        """Event time has reached ``now``: let timers fire (silence is evidence too)."""
        if self.now is not None and now <= self.now:
            return []
        self.now = now
        events: list[Event] = []
        if self.readers:
            for moment in self.whereabouts.advance(now):
                events.extend(self._moment(moment))
        for detector in self.detectors:
            if not isinstance(detector, ActivityDetector):
                events.extend(detector.advance(now))
        events.sort(key=lambda event: event.ts)
        return events

    def _learn(self, observations: Sequence[Observation]) -> None:
        for observation in observations:
            for detector in self.readers:
                detector.learn(observation)

    def _moment(self, moment: Moment) -> list[Event]:
        t, observations = moment
        self._learn(observations)
        events: list[Event] = []
        for detector in self.readers:
            events.extend(detector.check(t))
        return events

    def update_config(self, config: HomeConfig) -> None:
        """Apply a new home config live; detectors keep what they learned (in another
        time zone, not what they learned by local clock hour: see load_state)."""
        if config.home != self.home:
            raise AnalyticsError(f"config for home {config.home!r} given to {self.home!r}")
        state = self.state_dict()
        self.config = config
        self._build()
        self.load_state(state)

    def state_dict(self) -> dict[str, Any]:
        return {
            "home": self.home,
            "timezone": self.config.timezone,
            "now": self.now,
            "late_readings": self.late_readings,
            "whereabouts": self.whereabouts.state_dict(),
            "detectors": {d.name: d.state_dict() for d in self.detectors},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        if state.get("home") != self.home:
            raise AnalyticsError(f"saved state is for home {state.get('home')!r}", home=self.home)
        self.now = state.get("now")
        self.late_readings = state.get("late_readings", 0)
        # Learned under another zone (a config that corrected it, or an edge restarted
        # with it before its state was saved again), her routine by the clock is not hers
        # by this clock. States saved before the zone was kept carry none: as before.
        moved = state.get("timezone", self.config.timezone) != self.config.timezone
        # Whatever a part raises, the part is named, so that it alone can start afresh.
        try:
            if "whereabouts" in state:
                self.whereabouts.load_state(state["whereabouts"])
                if moved:
                    self.whereabouts.time_zone_changed()
        except Exception as exc:
            raise AnalyticsError(
                f"cannot restore state: {exc}", home=self.home, detector="whereabouts"
            ) from exc
        saved = state.get("detectors", {})
        for detector in self.detectors:
            if detector.name in saved:
                try:
                    detector.load_state(saved[detector.name])
                    if moved:
                        detector.time_zone_changed()
                except Exception as exc:
                    raise AnalyticsError(
                        f"cannot restore state: {exc}", home=self.home, detector=detector.name
                    ) from exc
