"""``not_returned_home``: went out (by day) and not back after longer than usual, or still
out an hour into the night."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from ..context import HomeContext
from ..events import Event
from ..routine import RecentValues, clamp
from ..whereabouts import Observation, Whereabouts
from .base import HOUR, ActivityDetector, hours


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotReturnedHomeSettings:
    # Until min_outings outings are known: out this long.
    default_threshold_s: float = Field(default=5 * HOUR, gt=0)
    # Learned: clamp(factor x the `quantile` of the last learn_outings outings, lower, upper).
    factor: float = Field(default=1.5, gt=0)
    quantile: float = Field(default=0.95, gt=0, le=1)
    lower_s: float = Field(default=4 * HOUR, gt=0)
    upper_s: float = Field(default=8 * HOUR, gt=0)
    learn_outings: int = Field(default=40, ge=1)
    min_outings: int = Field(default=10, ge=1)
    # Out at the start of the night + this: raised whatever the usual length.
    night_grace_s: float = Field(default=1 * HOUR, ge=0)


class NotReturnedHomeDetector(ActivityDetector):
    """``not_returned_home``: went out (by day) and not back after longer than usual, or
    still out an hour into the night.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "front", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:front"},
    ...                 {"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]})
    >>> monitor = HomeMonitor(home, detectors=[NotReturnedHomeDetector])
    >>> r = lambda h, dev, metric, v: Reading(ts=h * 3600, home="h1", device=dev,
    ...                                       metric=metric, value=v)
    >>> _ = monitor.feed(r(9, "pir", "motion", True))
    >>> _ = monitor.feed(r(10, "front", "contact", "open"))
    >>> _ = monitor.feed(r(10.01, "front", "contact", "closed"))
    >>> [(e.state, e.ts / 3600, e.evidence["reason"]) for e in monitor.advance(16 * 3600)]
    [('raised', 15.01, 'out longer than usual')]
    >>> _ = monitor.feed(r(17, "front", "contact", "open"))
    >>> [(e.state, e.evidence["back_at"]) for e in monitor.feed(r(17.02, "pir", "motion", True))]
    [('cleared', '17:00')]
    """

    name = "not_returned_home"
    kind = "not_returned_home"
    kinds = ("not_returned_home",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, NotReturnedHomeSettings)
        self.outings = RecentValues(self.settings.learn_outings)
        self.raised_for: float | None = None
        self.raised_at: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind != "outing" or not observation.clean:
            return
        if observation.start == self.raised_for:
            return
        self.outings.add(observation.duration)

    def threshold(self) -> tuple[float, float | None]:
        s = self.settings
        if len(self.outings) < s.min_outings:
            return s.default_threshold_s, None
        usual = self.outings.quantile(s.quantile)
        assert usual is not None
        return clamp(s.factor * usual, s.lower_s, s.upper_s), usual

    def check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            if w.doorway.location == "out" and w.doorway.left_at == self.raised_for:
                return []
            assert self.raised_at is not None
            back = max(w.doorway.home_at or upto, self.raised_at)
            evidence = {
                "summary": f"back home at {self._local(back)}",
                "back_at": self._local(back),
            }
            self.raised_at = None
            return self._emit(self.condition.end(back, evidence))
        if (
            w.doorway.location != "out"
            or w.doorway.left_at is None
            or self.raised_for == w.doorway.left_at
        ):
            return []
        opened, left = w.doorway.door_opened_at or w.doorway.left_at, w.doorway.left_at
        if self.home.is_night(opened):
            return []  # left at night: night_wandering's
        threshold, usual = self.threshold()
        night_start = w.clock.next_start(w.clock.period_start(left))
        by_night = night_start + self.settings.night_grace_s
        deadline = min(left + threshold, by_night)
        if deadline > upto:
            return []
        self.raised_for, self.raised_at = left, deadline
        reason = "out longer than usual" if deadline < by_night else "still out at night"
        basis = (
            f"usual longest outing {hours(usual)} h "
            f"(p{round(self.settings.quantile * 100)} of {len(self.outings)})"
            if usual is not None
            else f"default while learning ({len(self.outings)} of "
            f"{self.settings.min_outings} outings)"
        )
        has_wearable = bool(self.home.devices_with(kinds=("bracelet", "fall_pendant")))
        steps = w.wearables.steps_total - w.doorway.left_steps
        evidence = {
            "summary": (
                f"went out at {self._local(left, deadline)} (front door), not back after "
                f"{hours(deadline - left)} h ({reason}); {basis}; threshold "
                f"{hours(threshold)} h"
                + (f"; {steps:.0f} steps since leaving" if has_wearable else "")
            ),
            "reason": reason,
            "left_at": self._local(left, deadline),
            "out_h": hours(deadline - left),
            "usual_outing_h": hours(usual) if usual is not None else None,
            "threshold_h": hours(threshold),
            "baseline": basis,
            "steps_since_leaving": round(steps) if has_wearable else None,
        }
        return self._emit(self.condition.hold(deadline, "major", evidence, started=left))

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "outings": self.outings.state_dict(),
            "raised_for": self.raised_for,
            "raised_at": self.raised_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.outings.load_state(state["outings"])
        self.raised_for, self.raised_at = state["raised_for"], state["raised_at"]
