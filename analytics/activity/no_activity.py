"""``no_activity``: at home and up, nothing moving for longer than usual at this hour."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from ..context import HomeContext
from ..events import Event
from ..routine import GapBaseline, clamp
from ..whereabouts import Observation, Whereabouts
from .base import HOUR, ActivityDetector, hours


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NoActivitySettings:
    # Until an hour of the day has min_days of history: this long without activity.
    default_threshold_s: float = Field(default=3 * HOUR, gt=0)
    # Learned: clamp(factor x usual longest gap around this hour, lower_s, upper_s), the
    # usual being the `quantile` over the last learn_days days of each day's longest gap.
    factor: float = Field(default=1.5, gt=0)
    lower_s: float = Field(default=2 * HOUR, gt=0)
    upper_s: float = Field(default=5 * HOUR, gt=0)
    quantile: float = Field(default=0.9, gt=0, le=1)
    learn_days: int = Field(default=14, ge=1)
    min_days: int = Field(default=5, ge=1)
    # Critical once the silence reaches this multiple of the threshold.
    critical_factor: float = Field(default=2.0, ge=1)


class NoActivityDetector(ActivityDetector):
    """``no_activity``: at home and up, nothing moving for longer than usual at this hour.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]})
    >>> monitor = HomeMonitor(home, detectors=[NoActivityDetector])
    >>> detector = monitor.detectors[0]
    >>> motion = lambda h: Reading(ts=h * 3600, home="h1", device="pir", metric="motion",
    ...                            value=True)
    >>> _ = monitor.feed(motion(7)) + monitor.feed(motion(9))
    >>> [(e.state, e.severity, e.ts / 3600) for e in monitor.advance(13 * 3600)]
    [('raised', 'major', 12.0)]
    >>> detector.condition.open and monitor.advance(15 * 3600)[0].severity
    'critical'
    >>> [(e.state, e.ts / 3600) for e in monitor.feed(motion(15.5))]
    [('cleared', 15.5)]
    """

    name = "no_activity"
    kind = "no_activity"
    kinds = ("no_activity",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, NoActivitySettings)
        self.gaps = GapBaseline(home, days=self.settings.learn_days)
        s = self.settings
        self._shortest = min(s.default_threshold_s, s.lower_s)
        self._cache: tuple[Any, Any] | None = None
        self.gap_from: float | None = None  # the silence the open event is about
        self.threshold: float | None = None
        self.night_at: float | None = None  # the night start after that silence

    def learn(self, observation: Observation) -> None:
        if observation.kind != "gap":
            return
        if self.gap_from is not None and observation.start == self.gap_from:
            return  # the incident itself is not a usual gap
        self.gaps.record(observation.start, observation.end, counted_from=observation.counted_from)

    def threshold_at(self, hour: int) -> tuple[float, float | None, int]:
        """(threshold, usual longest gap or None while learning, days of history)."""
        s = self.settings
        usual, days = self.gaps.usual(hour, min_days=s.min_days, q=s.quantile)
        if usual is None:
            return s.default_threshold_s, None, days
        return clamp(s.factor * usual, s.lower_s, s.upper_s), usual, days

    def _deadline(self, last: float) -> tuple[float, float, float | None, int] | None:
        """The first moment the silence since ``last`` exceeds the threshold of the hour
        it is in, during this period's day; None when the night comes first."""
        key = (last, self.gaps.version, self.where.day.period)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        result = None
        end = self.where.day.next_night
        t = max(last, self.where.day.night_end)
        while t < end:
            _, hour_end, _, hour = self.gaps.bucket_of(t)
            threshold, usual, days = self.threshold_at(hour)
            candidate = max(t, last + threshold)
            if candidate < min(hour_end, end):
                result = (candidate, threshold, usual, days)
                break
            t = hour_end
        self._cache = (key, result)
        return result

    def check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            assert self.gap_from is not None and self.threshold is not None
            if w.last is not None and w.last[0] > self.gap_from:
                evidence = {
                    "summary": f"activity again at {self._local(w.last[0])}: {w.last[2]}",
                    "activity_at": self._local(w.last[0]),
                    "activity": w.last[2],
                    "inactive_h": hours(w.last[0] - self.gap_from),
                }
                self.gap_from = self.threshold = self.night_at = None
                return self._emit(self.condition.end(w.last[0], evidence))
            critical_at = self.gap_from + self.settings.critical_factor * self.threshold
            open_ = self.condition.open
            if open_ and open_.severity != "critical" and critical_at <= upto:
                if self.night_at is not None and critical_at >= self.night_at:
                    return []  # night came first: silence in bed is not news
                return self._emit(
                    self.condition.hold(critical_at, "critical", self._evidence(critical_at))
                )
            return []
        if (
            not w.at_home
            or w.day.up_since is None
            or w.bathroom.bath is not None
            or w.last_home is None
        ):
            return []
        last = w.last_home
        if upto - last < self._shortest:
            return []
        found = self._deadline(last)
        if found is None or found[0] > upto:
            return []
        deadline, threshold, _, _ = found
        self.gap_from, self.threshold, self.night_at = last, threshold, w.day.next_night
        return self._emit(
            self.condition.hold(deadline, "major", self._evidence(deadline), started=last)
        )

    def _evidence(self, ts: float) -> dict[str, Any]:
        assert self.gap_from is not None and self.threshold is not None
        _, _, _, hour = self.gaps.bucket_of(ts)
        threshold, usual, days = self.threshold_at(hour)
        threshold = self.threshold
        w = self.where
        last = w.describe_last(ts)
        basis = (
            f"learned over {days} days"
            if usual is not None
            else f"default while learning ({days} of {self.settings.min_days} days)"
        )
        usual_text = f"{hours(usual)} h" if usual is not None else "not known yet"
        inactive = ts - self.gap_from
        return {
            "summary": (
                f"no activity for {hours(inactive)} h, last activity {last}; usual longest gap "
                f"around this hour {usual_text}; threshold {hours(threshold)} h"
            ),
            "last_activity": self._local(self.gap_from, ts),
            "last_activity_what": w.last[2] if w.last else None,
            "last_activity_device": w.last[1] if w.last else None,
            "inactive_h": hours(inactive),
            "usual_max_gap_h": hours(usual) if usual is not None else None,
            "threshold_h": hours(threshold),
            "baseline": basis,
            **self._wearable(),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "gaps": self.gaps.state_dict(),
            "gap_from": self.gap_from,
            "threshold": self.threshold,
            "night_at": self.night_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.gaps.load_state(state["gaps"])
        self.gap_from, self.threshold = state["gap_from"], state["threshold"]
        self.night_at = state["night_at"]
        self._cache = None
