"""``not_returned_home``: went out (not in her night) and not back after longer than usual,
or still out well into her night when she has never been before.

Learned from every outing, the long ones and those that raised an alert too: someone who
works or visits family all day is not in distress, and an outing that raised an alert and
ended with her coming home was her life, not an incident. Days away (out through a whole
night) are not outings and are not learned as such. A long absence that began at the
front door is an absence: no silence at home is watched meanwhile (days away).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig

from ..context import HomeContext
from ..events import Event
from ..routine import RecentValues, clamp
from ..whereabouts import Observation, Whereabouts
from .base import HOUR, ActivityDetector, hours


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotReturnedHomeSettings:
    # Until min_outings outings are known (and while learning, at least): out this long.
    default_threshold_s: float = Field(default=6 * HOUR, gt=0)
    # Learned: clamp(factor x the `quantile` of the last learn_outings outings, lower, upper).
    factor: float = Field(default=1.5, gt=0)
    quantile: float = Field(default=0.95, gt=0, le=1)
    lower_s: float = Field(default=4 * HOUR, gt=0)
    upper_s: float = Field(default=14 * HOUR, gt=0)
    learn_outings: int = Field(default=40, ge=1)
    min_outings: int = Field(default=10, ge=1)
    # Before then, an outing she has come back from lifts the default to its length + this.
    few_outings_margin_s: float = Field(default=1 * HOUR, ge=0)
    # Still out this long after her night began, and this long after the latest she has
    # come back before: raised whatever the usual length; while learning,
    # learning_night_grace_s (both).
    night_grace_s: float = Field(default=1 * HOUR, ge=0)
    learning_night_grace_s: float = Field(default=3 * HOUR, ge=0)
    # Whatever the feedback, within these.
    floor_s: float = Field(default=2 * HOUR, gt=0)
    ceiling_s: float = Field(default=24 * HOUR, gt=0)


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
    >>> [(e.state, e.ts / 3600, e.evidence["reason"]) for e in monitor.advance(17 * 3600)]
    [('raised', 16.01, 'out longer than usual')]
    >>> _ = monitor.feed(r(18, "front", "contact", "open"))
    >>> [(e.state, e.evidence["back_at"]) for e in monitor.feed(r(18.02, "pir", "motion", True))]
    [('cleared', '18:00')]
    """

    name = "not_returned_home"

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        # A resident of a care home goes out with her family or staff, signed out at the
        # desk; the unit door at night is left_unit_at_night's.
        return config.place is None

    kind = "not_returned_home"
    kinds = ("not_returned_home",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, NotReturnedHomeSettings)
        self.outings = RecentValues(self.settings.learn_outings)
        # How long after her night began she came back, for outings that lasted into it.
        self.late_returns = RecentValues(self.settings.learn_outings)
        self.raised_for: float | None = None
        self.raised_at: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind != "outing" or self.stayed_away(observation):
            return
        if self.announced_over(observation):
            return  # announced: her stay at her daughter's is not one of her outings
        self.outings.add(observation.duration)
        night = self.where.day.night_start_after(observation.start)
        if observation.end > night:
            self.late_returns.add(observation.end - night)

    def time_zone_changed(self) -> None:
        # How long after her night began she came back is by the old clock's night; how
        # long her outings last is not.
        self.late_returns = RecentValues(self.settings.learn_outings)

    def stayed_away(self, outing: Observation) -> bool:
        """Away through a whole night (a stay at her children's, a hospital): days away,
        not an outing. Learned as one, a two-day trip would make her usual outing two days
        long and an outing that never ends unremarkable."""
        day = self.where.day
        night = day.night_start_after(outing.start)
        _, end, _ = day.night()
        return outing.end >= self.where.clock.at_or_after(night, end)

    def threshold(self, ts: float) -> tuple[float, float | None]:
        """The learned limit, never below the default while learning or before
        ``min_outings`` are known; but what she has already been out for and come back
        from is no news, however few her outings (someone out 6.5 h on her second day is
        not raised at 6 h on her fifth); too few to extrapolate from, they lift the default
        only to her longest and a margin."""
        s = self.settings
        usual = self.outings.quantile(s.quantile)
        limit = s.default_threshold_s
        if usual is not None and len(self.outings) < s.min_outings:
            # Too few to extrapolate from: only as long as she has been, and a margin.
            limit = max(limit, min(usual + s.few_outings_margin_s, s.upper_s))
        elif usual is not None:
            limit = clamp(s.factor * usual, s.lower_s, s.upper_s)
            if self.where.learning(ts):
                limit = max(limit, s.default_threshold_s)
        return self.adjusted(limit, s.floor_s, s.ceiling_s), usual

    def by_night(self, left: float, *, due: bool = False) -> float:
        """When being out becomes news whatever the usual length: her night has begun,
        later than she has ever come back. ``due``: ``left`` is when she was due back (an
        announced absence's end); due in her night, that night has begun already, and the
        grace runs from then, not from the next night's start a day later."""
        s = self.settings
        grace = s.learning_night_grace_s if self.where.learning(left) else s.night_grace_s
        latest = self.late_returns.quantile(1.0)
        if latest is not None:
            # While learning, the latest she has come back is that of a night or two out,
            # not her latest: a night owl back at 03:33 on her second night out may well
            # be back at 05:00 on her third. The learning grace is the margin then.
            grace += latest
        day = self.where.day
        start = left if due and day.in_night(left) else day.night_start_after(left)
        return start + grace * self.feedback

    def check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            if w.doorway.location == "out" and w.doorway.left_at == self.raised_for:
                return self._announced_since(upto)
            assert self.raised_at is not None
            back = max(w.doorway.home_at or upto, self.raised_at)
            evidence = {
                "summary": f"back home at {self._local(back)}",
                "back_at": self._local(back),
            }
            self.raised_at = None
            return self._emit(self.condition.end(back, evidence))
        left = w.doorway.left_at
        if w.doorway.location != "out" or left is None or self.raised_for == left:
            return []
        opened = w.doorway.door_opened_at or left
        # Away as announced (at her daughter's): expected back when the absence ends, and
        # watched from then on as if she had gone out then, whenever she left.
        counted, away = self.counted_from(left, upto)
        if away is None and w.day.in_night(opened):
            return []  # left in her night: night_wandering's
        threshold, usual = self.threshold(counted)
        by_night = self.by_night(counted, due=away is not None)
        deadline = min(counted + threshold, by_night)
        if deadline > upto:
            return []
        self.raised_for, self.raised_at = left, deadline
        evidence = self._evidence(left, deadline, threshold, usual, deadline >= by_night)
        if away is not None:
            evidence = self.noting_absence(evidence, away, deadline)
        return self._emit(self.condition.hold(deadline, "major", evidence, started=left))

    def _announced_since(self, upto: float) -> list[Event]:
        """An absence announced over the outing after it was raised (base.absence_since)."""
        assert self.raised_for is not None
        ended = self.absence_since(self.raised_for, upto)
        if ended is None:
            return []
        self.raised_for = self.raised_at = None
        return self._emit(self.condition.end(upto, ended))

    def _evidence(
        self, left: float, deadline: float, threshold: float, usual: float | None, night: bool
    ) -> dict[str, Any]:
        w, s = self.where, self.settings
        reason = "still out at night" if night else "out longer than usual"
        learned = usual is not None and threshold > s.default_threshold_s * self.feedback
        basis = self.basis(
            deadline,
            self._usual_text(usual),
            conservative=not learned or night,
        )
        has_wearable = bool(self.home.devices_with(kinds=("bracelet", "fall_pendant")))
        steps = w.wearables.steps_total - w.doorway.left_steps
        return {
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

    def _usual_text(self, usual: float | None) -> str:
        s, seen = self.settings, len(self.outings)
        if usual is None:
            return f"default ({seen} of {s.min_outings} outings seen)"
        if seen < s.min_outings:
            return (
                f"default, or her longest outing so far {hours(usual)} h and "
                f"{hours(s.few_outings_margin_s)} h "
                f"({seen} of {s.min_outings} outings seen)"
            )
        return f"usual longest outing {hours(usual)} h (p{round(s.quantile * 100)} of {seen})"

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "outings": self.outings.state_dict(),
            "late_returns": self.late_returns.state_dict(),
            "raised_for": self.raised_for,
            "raised_at": self.raised_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.outings.load_state(state["outings"])
        self.late_returns.load_state(state["late_returns"])
        self.raised_for, self.raised_at = state["raised_for"], state["raised_at"]
