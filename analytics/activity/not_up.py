"""``not_up``: resting after her night and not up by the time she usually is, plus margin.

Resting is on evidence that she spent the night at home in bed (analytics.whereabouts:
``rests_in``): the silence began at a time she could have gone to bed, in the bedroom where
it is seen, and where the bed has a mat the mat saw her lie down that night. Anything else
(a silence that began in the afternoon, in the bedroom without the bed seeing her, after a
sign of her being up) is no_activity's to judge. The deadline is never looked back on: a
sign after it that makes her look in bed (home again, lying down) raises nothing.

Her usual time of getting up is learned from the last nights (analytics.whereabouts.day).
Where the bedroom is seen, a night that began later than usual moves the deadline later
by as much (someone who went to bed at three is up later), up to
``bedtime_shift_max_s``. While fewer than ``min_days`` mornings are known,
``default_deadline``: late, since a resident who sleeps from two to eleven is normal for
her; and where the bedroom shows when she went to rest, no sooner than
``default_night_s`` after it. While the home is being installed (most of its sensors
not heard from yet, analytics.whereabouts.installation), ``ceiling_s`` later than that:
"in bed" then stands on the few sensors that report, and a resident who is out looks the
same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig

from ..context import HomeContext
from ..events import Event
from ..whereabouts import Whereabouts
from .base import HOUR, MINUTE, ActivityDetector, hours


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotUpSettings:
    # Until min_days mornings are known: up by this local time, and where the bedroom
    # shows when she went to rest, no sooner than this long after (someone who went to
    # bed at half past three is not late at noon).
    default_deadline: time = time(12, 0)
    default_night_s: float = Field(default=9 * HOUR, gt=0)
    # Learned: her usual (median) time of getting up + the largest of margin_s,
    # spread_k x the spread of her mornings (robust standard deviation) and how much
    # later than usual her latest morning was + late_margin_s; plus how much later than
    # usual she went to rest tonight (up to bedtime_shift_max_s).
    margin_s: float = Field(default=90 * MINUTE, ge=0)
    spread_k: float = Field(default=3.0, ge=0)
    late_margin_s: float = Field(default=30 * MINUTE, ge=0)
    bedtime_shift_max_s: float = Field(default=2 * HOUR, ge=0)
    # Never before the night's end + this.
    earliest_after_night_s: float = Field(default=60 * MINUTE, ge=0)
    # The margin after her usual time stays within these whatever the feedback.
    floor_s: float = Field(default=45 * MINUTE, ge=0)
    ceiling_s: float = Field(default=4 * HOUR, ge=0)
    min_days: int = Field(default=2, ge=1)


class NotUpDetector(ActivityDetector):
    """``not_up``: see the module docstring.

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
    >>> [(e.state, e.ts / 3600) for e in monitor.advance(13 * 3600)]
    [('raised', 12.0)]
    >>> [(e.state, e.ts / 3600) for e in monitor.feed(door(12.5, "open"))]
    [('cleared', 12.5)]
    """

    name = "not_up"

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        # At a care home the staff get residents up; her bed sensor's night is
        # bed_exit's and not_back_in_bed's.
        return config.place is None

    kind = "not_up"
    kinds = ("not_up",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, NotUpSettings)
        self.raised_period: float | None = None
        self.raised_at: float | None = None

    def deadline(self, now: float) -> tuple[float, float | None, str]:
        """(up-by time for this period, her usual time of getting up or None while
        learning, how it was set)."""
        s, day = self.settings, self.where.day
        earliest = day.night_end + s.earliest_after_night_s
        clock = self.where.clock
        installing = self.where.installing(now)
        if len(day.wakes) < s.min_days or installing:
            local = self.home.local(day.night_end).date()
            by = datetime.combine(local, s.default_deadline, tzinfo=self.home.tz).timestamp()
            basis = f"default ({len(day.wakes)} of {s.min_days} mornings known)"
            went = self._went_to_rest()
            if went is not None and went + s.default_night_s > by:
                by = went + s.default_night_s
                basis += (
                    f"; went to rest at {self._local(went)}, {hours(s.default_night_s):g} h allowed"
                )
            if installing:
                by += s.ceiling_s
                basis += f", {hours(s.ceiling_s):g} h later while the home is being installed"
            return max(by, earliest), None, basis
        ordered = sorted(day.wakes)
        usual_h = day.usual_wake()
        assert usual_h is not None
        spread_h = _spread(ordered)
        margin = max(
            s.margin_s,
            s.spread_k * spread_h * HOUR,
            (ordered[-1] - usual_h) * HOUR + s.late_margin_s,
        )
        margin = self.adjusted(margin, s.floor_s, s.ceiling_s)
        usual = clock.at_or_after(day.night_end - 6 * HOUR, usual_h - 12)
        shift = self._bedtime_shift()
        basis = (
            f"usually up by {clock.clock_text(usual_h - 12)} (median of {len(ordered)} mornings)"
        )
        if shift > 0:
            basis += f"; went to rest {round(shift / MINUTE)} min later than usual"
        return max(usual + margin + shift, earliest), usual, basis

    def _went_to_rest(self) -> float | None:
        """When she went to rest this night, where the bedroom can be seen (else None)."""
        return self.where.day.tonight() if self.where.coverage.bedroom else None

    def _bedtime_shift(self) -> float:
        """How much later than usual she went to bed this night (0 if not later, or if the
        bedroom cannot be seen)."""
        w = self.where
        usual, tonight = w.day.usual_bedtime(), self._went_to_rest()
        if usual is None or tonight is None:
            return 0.0
        late = (w.clock.hours_after_noon(tonight) - usual) * HOUR
        return min(max(0.0, late), self.settings.bedtime_shift_max_s)

    def check(self, upto: float) -> list[Event]:
        w, day = self.where, self.where.day
        if self.condition.is_open:
            assert self.raised_at is not None
            later = w.last is not None and w.last[0] > self.raised_at
            if day.up_since is not None or (later and day.period != self.raised_period):
                at = w.last[0] if w.last is not None else upto
                evidence = {
                    "summary": f"up at {self._local(at)}: {w.last[2] if w.last else '-'}",
                    "up_at": self._local(at),
                    "activity": w.last[2] if w.last else None,
                }
                self.raised_at = None
                return self._emit(self.condition.end(at, evidence))
            return self._announced_since(upto)
        if day.period is None or day.up_since is not None or day.partial:
            return []
        if self.raised_period == day.period or not w.at_home or not w.resting:
            return []
        if upto < day.night_end + self.settings.earliest_after_night_s:
            return []
        by, usual, basis = self.deadline(upto)
        if by > upto or by >= day.next_night:
            return []
        # Away as announced since her last sign: not a night in her bed while it lasts.
        # Once it is over she is due home, and a silence taken for her night is not
        # no_activity's: not up by its end (or the deadline, if later) is news, else
        # back before the announced end and not up the next morning would never be said.
        last = w.last_home if w.last_home is not None else by
        counted, away = self.counted_from(last, by)
        while away is not None and counted > by:  # back-to-back absences: the last end
            by = counted
            if by > upto or by >= day.next_night:
                return []
            counted, away = self.counted_from(last, by)
        if w.last_home is not None and w.last_home > by:
            # Resting only since a sign after the deadline (back home, lying down): she
            # was not still in bed then, and is not now; nothing to say after the fact.
            return []
        self.raised_period, self.raised_at = day.period, by
        evidence = self._evidence(by, usual, basis)
        if away is not None:
            evidence = self.noting_absence(evidence, away, by)
        return self._emit(self.condition.hold(by, "major", evidence))

    def _announced_since(self, upto: float) -> list[Event]:
        """An absence announced over her silence after it was raised (taken to hospital
        in the night; base.absence_since): watched again from its end, in this period too."""
        w = self.where
        ended = self.absence_since(w.last_home if w.last_home is not None else upto, upto)
        if ended is None:
            return []
        self.raised_at = self.raised_period = None
        return self._emit(self.condition.end(upto, ended))

    def _evidence(self, by: float, usual: float | None, basis: str) -> dict[str, Any]:
        w, day = self.where, self.where.day
        last = w.describe_last(by)
        basis = self.basis(by, basis, conservative=usual is None)
        return {
            "summary": (
                f"not up by {self._local(by)}: no activity outside the bedroom since the night "
                f"ended at {self._local(day.night_end)}; last activity {last}; {basis}"
            ),
            "deadline": self._local(by),
            "night_end": self._local(day.night_end),
            "usual_wake": self._local(usual) if usual is not None else None,
            "wake_days": len(day.wakes),
            "last_activity": last,
            "baseline": basis,
            "sensors": w.coverage.describe(),
            **self._wearable(),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "raised_period": self.raised_period,
            "raised_at": self.raised_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.raised_period, self.raised_at = state["raised_period"], state["raised_at"]


def _spread(ordered: list[float]) -> float:
    """A robust standard deviation of sorted values: the interquartile range / 1.349 (half
    the range below four values)."""
    n = len(ordered)
    if n < 2:
        return 0.0
    if n < 4:
        return (ordered[-1] - ordered[0]) / 2
    q1, q3 = ordered[max(0, -(-n // 4) - 1)], ordered[max(0, -(-3 * n // 4) - 1)]
    return (q3 - q1) / 1.349
