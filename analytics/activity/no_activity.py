"""``no_activity``: at home and awake, nothing moving for longer than is usual for her at
this hour, where she was last seen.

Silences are learned per local hour (the longest silence that went on through it, each
day) and per context: ``resting`` when an occupancy sensor (a chair or bed mat, a room's
presence sensor) saw her settle there (hours in the armchair are her evenings), ``about``
otherwise (last seen in the kitchen, in a room without a sensor). Every silence is
learned, those that raised an alert too: what happened is what is usual. An hour with
too few days seen falls back on her longest silences at any hour, and those on the
defaults. A silence is watched at any hour of the day or
night, unless her night begins while she is where she rests (analytics.whereabouts:
resting); then not_up takes over.
"""

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

CONTEXTS = ("about", "resting")
CONTEXT_TEXT = {
    "about": "at home, moving about or where no sensor sees her",
    "resting": "settled where an occupancy sensor sees her (a chair, the bed)",
}


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NoActivitySettings:
    # Until min_days of silences are known in this context: this long.
    default_about_s: float = Field(default=5 * HOUR, gt=0)
    default_resting_s: float = Field(default=8 * HOUR, gt=0)
    # Learned: clamp(factor x her usual longest silence around this hour, lower, upper),
    # the usual being the `quantile` over the last learn_days days of each day's longest.
    factor: float = Field(default=1.5, gt=0)
    # Sitting or lying still for hours is ordinary (a long film); a wider margin there.
    factor_resting: float = Field(default=1.75, gt=0)
    lower_about_s: float = Field(default=1.5 * HOUR, gt=0)
    upper_about_s: float = Field(default=10 * HOUR, gt=0)
    # Without a front-door sensor a long silence may be an outing nobody saw begin: up to
    # this, as long as her days show such silences.
    upper_unseen_exit_s: float = Field(default=11 * HOUR, gt=0)
    lower_resting_s: float = Field(default=3 * HOUR, gt=0)
    upper_resting_s: float = Field(default=10 * HOUR, gt=0)
    quantile: float = Field(default=0.9, gt=0, le=1)
    learn_days: int = Field(default=14, ge=1)
    min_days: int = Field(default=5, ge=1)
    # Before an hour has min_days, her longest silences at any hour, from this many days.
    min_days_any_hour: int = Field(default=2, ge=1)
    # Whatever the feedback, never more than this (a silence that long is always news).
    ceiling_s: float = Field(default=12 * HOUR, gt=0)
    # Critical once the silence reaches this multiple of the threshold.
    critical_factor: float = Field(default=2.0, ge=1)


class NoActivityDetector(ActivityDetector):
    """``no_activity``: see the module docstring.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]})
    >>> monitor = HomeMonitor(home, detectors=[NoActivityDetector])
    >>> detector = monitor.detectors[0]
    >>> pir = lambda h, v: Reading(ts=h * 3600, home="h1", device="pir", metric="motion",
    ...                            value=v)
    >>> motion = lambda h: monitor.feed(pir(h, True)) + monitor.feed(pir(h + 0.02, False))
    >>> _ = motion(7) + motion(9)
    >>> [(e.state, e.severity, e.ts / 3600) for e in monitor.advance(15 * 3600)]
    [('raised', 'major', 14.0)]
    >>> detector.condition.open and monitor.advance(20 * 3600)[0].severity
    'critical'
    >>> [(e.state, e.ts / 3600) for e in motion(20.5)]
    [('cleared', 20.5)]
    """

    name = "no_activity"
    kind = "no_activity"
    kinds = ("no_activity",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = s = home.settings(self.name, NoActivitySettings)
        self.gaps = {c: GapBaseline(home, days=s.learn_days) for c in CONTEXTS}
        self._cache: tuple[Any, Any] | None = None
        self._shortest = min(s.default_about_s, s.lower_about_s, s.lower_resting_s)
        self.gap_from: float | None = None  # the silence the open event is about
        self.threshold: float | None = None
        self.resting_at: float | None = None  # her night's rest begins, if it does

    def learn(self, observation: Observation) -> None:
        if observation.kind == "gap":
            self.gaps[observation.context].record(observation.start, observation.end)

    def usual(self, context: str, hour: int) -> tuple[float | None, int, str]:
        """Her usual longest silence around ``hour`` in ``context``: learned at this hour
        once min_days have been seen at it, else learned at any hour, else None; with the
        days it rests on and where it comes from."""
        s, gaps = self.settings, self.gaps[context]
        usual, days = gaps.usual(hour, min_days=s.min_days, q=s.quantile)
        if usual is not None:
            return usual, days, "at this hour"
        pooled, pooled_days = gaps.usual_any_hour(min_days=s.min_days_any_hour, q=s.quantile)
        if pooled is not None:
            return pooled, pooled_days, "at any hour"
        return None, days, ""

    def threshold_at(self, context: str, hour: int) -> tuple[float, float | None, int]:
        """(threshold, usual longest silence or None while learning, days of history)."""
        s = self.settings
        usual, days, _ = self.usual(context, hour)
        if context == "resting":
            default, lower, upper = s.default_resting_s, s.lower_resting_s, s.upper_resting_s
        else:
            default, lower, upper = s.default_about_s, s.lower_about_s, s.upper_about_s
            if not self.where.coverage.front_door:
                upper = max(upper, s.upper_unseen_exit_s)
        factor = s.factor_resting if context == "resting" else s.factor
        limit = default if usual is None else clamp(factor * usual, lower, upper)
        return self.adjusted(limit, min(lower, limit), s.ceiling_s), usual, days

    def _deadline(self, last: float, context: str, horizon: float) -> tuple[float, float] | None:
        """(the first moment the silence since ``last`` exceeds the threshold of the hour
        it is in, that threshold), before ``horizon``; None if there is none."""
        key = (last, context, horizon, self.gaps[context].version)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        result = None
        t = last
        while t < horizon:
            _, hour_end, _, hour = self.gaps[context].bucket_of(t)
            threshold, _, _ = self.threshold_at(context, hour)
            candidate = max(t, last + threshold)
            if candidate < min(hour_end, horizon):
                result = (candidate, threshold)
                break
            t = hour_end
        self._cache = (key, result)
        return result

    def _horizon(self, last: float) -> float | None:
        """When her night's rest begins, if it does before the silence could become news
        (her night starts while she was last seen where she rests)."""
        w = self.where
        night = w.day.next_night
        if night < last + self.settings.ceiling_s and w.rests_in(w.last_room, last, night):
            return night
        return None

    def check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            return self._while_open(upto)
        if not w.at_home or w.bathroom.stay is not None or w.resting or not w.last_awake:
            return []
        last = w.last_home
        if last is None or upto - last < self._shortest:
            return []
        rest = self._horizon(last)
        horizon = rest if rest is not None else last + self.settings.ceiling_s + HOUR
        found = self._deadline(last, w.last_context, horizon)
        if found is None or found[0] > upto:
            return []
        deadline, threshold = found
        self.gap_from, self.threshold, self.resting_at = last, threshold, rest
        raised = self.condition.hold(deadline, "major", self._evidence(deadline), started=last)
        return self._emit(raised) + self._while_open(upto)  # critical already, perhaps

    def _while_open(self, upto: float) -> list[Event]:
        w = self.where
        assert self.gap_from is not None and self.threshold is not None
        if w.last is not None and w.last[0] > self.gap_from:
            evidence = {
                "summary": f"activity again at {self._local(w.last[0])}: {w.last[2]}",
                "activity_at": self._local(w.last[0]),
                "activity": w.last[2],
                "inactive_h": hours(w.last[0] - self.gap_from),
            }
            self.gap_from = self.threshold = self.resting_at = None
            return self._emit(self.condition.end(w.last[0], evidence))
        critical_at = self.gap_from + self.settings.critical_factor * self.threshold
        open_ = self.condition.open
        if open_ and open_.severity != "critical" and critical_at <= upto:
            if self.resting_at is not None and critical_at >= self.resting_at:
                return []  # her night came first: silence in bed is not news
            return self._emit(
                self.condition.hold(critical_at, "critical", self._evidence(critical_at))
            )
        return []

    def _evidence(self, ts: float) -> dict[str, Any]:
        assert self.gap_from is not None and self.threshold is not None
        w = self.where
        context = w.last_context
        _, _, _, hour = self.gaps[context].bucket_of(ts)
        usual, days, where_learned = self.usual(context, hour)
        threshold = self.threshold
        last = w.describe_last(ts)
        basis = self.basis(
            ts,
            f"learned {where_learned} over {days} days"
            if usual is not None
            else f"default ({days} of {self.settings.min_days} days seen)",
        )
        usual_text = f"{hours(usual)} h" if usual is not None else "not known yet"
        inactive = ts - self.gap_from
        room = (w.last_room or "unknown").replace("_", " ")
        return {
            "summary": (
                f"no activity for {hours(inactive)} h, last activity {last}; last seen in "
                f"the {room}; her usual longest silence around this hour {usual_text}; "
                f"threshold {hours(threshold)} h ({basis})"
            ),
            "last_activity": self._local(self.gap_from, ts),
            "last_activity_what": w.last[2] if w.last else None,
            "last_activity_device": w.last[1] if w.last else None,
            "last_seen_in": w.last_room,
            "context": CONTEXT_TEXT[context],
            "inactive_h": hours(inactive),
            "usual_max_gap_h": hours(usual) if usual is not None else None,
            "threshold_h": hours(threshold),
            "baseline": basis,
            "sensors": w.coverage.describe(),
            **self._wearable(),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "gaps": {c: g.state_dict() for c, g in self.gaps.items()},
            "gap_from": self.gap_from,
            "threshold": self.threshold,
            "resting_at": self.resting_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        for context, gaps in self.gaps.items():
            gaps.load_state(state["gaps"][context])
        self.gap_from, self.threshold = state["gap_from"], state["threshold"]
        self.resting_at = state["resting_at"]
        self._cache = None
