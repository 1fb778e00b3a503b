"""``not_up``: no activity after the night by the usual time of getting up + margin."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from ..context import HomeContext
from ..events import Event
from ..routine import RecentValues, clamp
from ..whereabouts import Observation, Whereabouts
from .base import MINUTE, ActivityDetector


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotUpSettings:
    # Until min_days wake times are known: up by this local time.
    default_deadline: time = time(9, 0)
    # Learned: the median time of getting up over the last learn_days days + margin_s;
    # for a resident whose mornings vary, at least median + spread_k x their spread
    # (robust standard deviation) and the latest of those mornings + late_margin_s.
    # Kept between the night's end + earliest_after_night_s and `latest`.
    margin_s: float = Field(default=90 * MINUTE, ge=0)
    spread_k: float = Field(default=3.0, ge=0)
    late_margin_s: float = Field(default=30 * MINUTE, ge=0)
    earliest_after_night_s: float = Field(default=60 * MINUTE, ge=0)
    latest: time = time(11, 0)
    learn_days: int = Field(default=14, ge=1)
    min_days: int = Field(default=2, ge=1)


class NotUpDetector(ActivityDetector):
    """``not_up``: no activity after the night by the usual time of getting up + margin.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "night": {"start": "22:30", "end": "06:00"},
    ...     "devices": [{"id": "bath", "kind": "door", "role": "bathroom_door",
    ...                  "source": "zigbee2mqtt:bath"}]})
    >>> monitor = HomeMonitor(home, detectors=[NotUpDetector])
    >>> door = lambda h, v: Reading(ts=h * 3600, home="h1", device="bath", metric="contact",
    ...                             value=v)
    >>> _ = monitor.advance(0)
    >>> _ = monitor.feed(door(3, "open")) + monitor.feed(door(3.1, "closed"))  # night visit
    >>> [(e.state, e.ts / 3600) for e in monitor.advance(10 * 3600)]
    [('raised', 9.0)]
    >>> [(e.state, e.ts / 3600) for e in monitor.feed(door(10.5, "open"))]
    [('cleared', 10.5)]
    """

    name = "not_up"
    kind = "not_up"
    kinds = ("not_up",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, NotUpSettings)
        self.wakes = RecentValues(self.settings.learn_days)  # s after the night's end
        self.raised_period: float | None = None
        self.raised_night_end: float | None = None
        self.raised_at: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind != "wake":
            return
        if self.raised_night_end == observation.start:
            return  # up late after an alarm: not a usual morning
        self.wakes.add(observation.duration)

    def deadline(self) -> tuple[float, float | None]:
        """(up-by time for this period, usual getting-up time or None while learning)."""
        s, w = self.settings, self.where
        night_end = w.day.night_end
        earliest = night_end + s.earliest_after_night_s
        day = self.home.local(night_end).date()
        latest = datetime.combine(day, s.latest, tzinfo=self.home.tz).timestamp()
        usual = self.wakes.median() if len(self.wakes) >= s.min_days else None
        if usual is None:
            by = datetime.combine(day, s.default_deadline, tzinfo=self.home.tz).timestamp()
            return max(by, earliest), None
        latest_seen, spread = self.wakes.quantile(1.0), self.wakes.spread()
        assert latest_seen is not None and spread is not None
        by = max(usual + s.margin_s, usual + s.spread_k * spread, latest_seen + s.late_margin_s)
        return clamp(night_end + by, earliest, max(earliest, latest)), night_end + usual

    def check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            assert self.raised_at is not None
            if w.last is not None and w.last[0] > self.raised_at:
                evidence = {
                    "summary": f"up at {self._local(w.last[0])}: {w.last[2]}",
                    "up_at": self._local(w.last[0]),
                    "activity": w.last[2],
                }
                self.raised_at = None
                return self._emit(self.condition.end(w.last[0], evidence))
            return []
        if w.day.period is None or w.day.up_since is not None or w.day.partial:
            return []
        if self.raised_period == w.day.period or not w.at_home:
            return []
        if upto < w.day.night_end + self.settings.earliest_after_night_s:
            return []
        by, usual = self.deadline()
        if by > upto or by >= w.day.next_night:
            return []
        self.raised_period, self.raised_at = w.day.period, by
        self.raised_night_end = w.day.night_end
        last = w.describe_last(by)
        basis = (
            f"usually up by {self._local(usual)} (median of {len(self.wakes)} days)"
            if usual is not None
            else f"default while learning ({len(self.wakes)} of {self.settings.min_days} days)"
        )
        evidence = {
            "summary": (
                f"not up by {self._local(by)}: no activity since the night ended at "
                f"{self._local(w.day.night_end)}; last activity {last}; {basis}"
            ),
            "deadline": self._local(by),
            "night_end": self._local(w.day.night_end),
            "usual_wake": self._local(usual) if usual is not None else None,
            "wake_days": len(self.wakes),
            "last_activity": last,
            "baseline": basis,
            **self._wearable(),
        }
        return self._emit(self.condition.hold(by, "major", evidence, started=by))

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "wakes": self.wakes.state_dict(),
            "raised_period": self.raised_period,
            "raised_night_end": self.raised_night_end,
            "raised_at": self.raised_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.wakes.load_state(state["wakes"])
        self.raised_period, self.raised_at = state["raised_period"], state["raised_at"]
        self.raised_night_end = state["raised_night_end"]
