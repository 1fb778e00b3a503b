"""Her day and her night, learned from when she goes to rest and gets up.

A period runs from one night start to the next. She is up for the day at the first
activity outside the bedroom after the night ends, or, for an early riser, when the run of
activity that reaches past the night's end began; a night bathroom visit is neither, and
activity in the bedroom (turning over on a bed mat, the bedroom's motion sensor) never is.
Up, then back in the bedroom within ``back_to_bed_s`` and nothing outside it for
``rest_s``: she went back to bed, and is not up after all.

Each night teaches when she went to rest and when she got up. Where the bedroom is seen,
she went to rest when she last went into the bedroom before getting up (an excursion out
of it shorter than ``excursion_s``, a visit to the toilet, does not count); elsewhere, at
the start of the night's longest silence. A rest longer than any night (``MAX_NIGHT_H``)
teaches no bedtime: where no front-door sensor sees her go, it was a night spent out. Nor
does it teach a time of getting up where, with no front-door sensor, the bedroom saw her
last hours before she was first seen elsewhere (``_came_back``): she left unseen and that
was her return (nor does getting up after lying down on coming back). From
``min_nights`` nights on, her night runs from her usual bedtime to her usual time of
getting up (medians), each less ``night_lead_s``; until then the home config's night is
the prior.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import median
from typing import Any, ClassVar

from .clock import HOUR, NightClock
from .settings import Observation, WhereaboutsSettings
from .state import Stateful

MIN_REST_S = 2 * HOUR  # a silence shorter than this is no night's rest
MIN_NIGHT_H, MAX_NIGHT_H = 4.0, 14.0  # a learned night outside these is not believed


class Day(Stateful):
    FIELDS = (
        "period",
        "night_end",
        "next_night",
        "up_since",
        "partial",
        "run",
        "rest",
        "stretch",
        "excursion",
        "back",
        "went_to_rest",
        "bedroom_at",
        "came_back",
        "bedtimes",
        "wakes",
    )
    ADDED: ClassVar[Mapping[str, Any]] = {
        "bedroom_at": None,
        "came_back": False,
    }

    def __init__(
        self, settings: WhereaboutsSettings, clock: NightClock, *, front_door: bool = False
    ):
        self.settings = settings
        self.clock = clock
        # A front-door sensor sees her go: she cannot have left unseen (_came_back).
        self.front_door = front_door
        self.period: float | None = None  # this period's night start
        self.night_end = math.inf
        self.next_night = math.inf
        self.up_since: float | None = None  # got up for the day at
        self.partial = False  # monitoring began during this period's day
        self.run: list[float] | None = None  # night activity run [start, last]
        # The period's night rest so far: [start, end, began as she sat in a chair].
        self.rest: list[Any] | None = None
        self.stretch: float | None = None  # in the bedroom since (excursions aside)
        self.excursion: float | None = None  # out of the bedroom since, during a stretch
        self.went_to_rest: float | None = None  # the stretch that getting up ended began
        self.back: float | None = None  # back in the bedroom soon after getting up, at
        self.bedroom_at: float | None = None  # her latest sign in the bedroom
        # This period's "getting up" was her coming back: she left unseen (see _up).
        self.came_back = False
        self._rest_from: tuple[Any, float] | None = None  # derived, not state
        self.bedtimes: list[float] = []  # hours after noon, newest last
        self.wakes: list[float] = []  # hours after midnight, newest last

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        for name in ("night_end", "next_night"):
            if getattr(self, name) is None:
                setattr(self, name, math.inf)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        for name in ("night_end", "next_night"):
            if math.isinf(state[name]):
                state[name] = None  # JSON has no infinity
        return state

    # ---------------------------------------------------------------- her night

    def night(self, *, until_earliest_wake: bool = False) -> tuple[float, float, bool]:
        """(start, end) of her night in hours after noon, and whether it is learned.
        ``until_earliest_wake``: a learned night ends by the earliest she has got up
        recently, not the usual (at an hour she has been up at, she may be up again)."""
        s = self.settings
        if len(self.wakes) >= s.min_nights and len(self.bedtimes) >= s.min_nights:
            lead = s.night_lead_s / HOUR
            start = (median(self.bedtimes) - lead) % 24
            end = (median(self.wakes) - 12 - lead) % 24
            if MIN_NIGHT_H <= (end - start) % 24 <= MAX_NIGHT_H:
                if until_earliest_wake:
                    earliest = (min(self.wakes) - 12 - lead) % 24
                    if (earliest - start) % 24 < (end - start) % 24:
                        end = earliest
                return start, end, True
        start, end = self.clock.prior
        return start, end, False

    def in_night(
        self, ts: float, trim_start_s: float = 0.0, *, until_earliest_wake: bool = False
    ) -> bool:
        """Whether ``ts`` falls in her night (less ``trim_start_s`` at its start)."""
        start, end, _ = self.night(until_earliest_wake=until_earliest_wake)
        return self.clock.in_span(ts, start, end, trim_start_s)

    def night_start_after(self, ts: float) -> float:
        """The start of her next night at or after ``ts``."""
        start, _, _ = self.night()
        return self.clock.at_or_after(ts, start)

    def could_be_bedtime(
        self, ts: float, night_start: float | None = None, *, in_bed: bool = False
    ) -> bool:
        """Whether a silence that began at ``ts`` can be the rest of the night that starts
        at ``night_start`` (this period's by default): it began that night, no earlier
        than her earliest recent bedtime (the night's start while they are not known)
        less ``early_bedtime_s`` (``early_in_bed_s`` when it began as she lay down in
        bed), or than the config's night start (anyone may go to bed from then: a night
        owl's early night is still a night)."""
        period = self.period if night_start is None else night_start
        if period is None:
            return True
        s = self.settings
        lead = s.early_in_bed_s if in_bed else s.early_bedtime_s
        key = (period, len(self.bedtimes), self.bedtimes[-1] if self.bedtimes else None, lead)
        if self._rest_from is None or self._rest_from[0] != key:
            start, _, _ = self.night()
            earliest = min(self.bedtimes) if len(self.bedtimes) >= s.min_nights else start
            # Both on the night that starts at ``period``: 00:19 of the night that
            # began at 22:30, not of the day before (then any silence that day counted).
            learned = self.clock.same_night(period, earliest) - lead
            prior = self.clock.same_night(period, self.clock.prior[0])
            self._rest_from = (key, min(learned, prior))
        return ts >= self._rest_from[1]

    def usual_wake(self) -> float | None:
        """Her usual time of getting up, hours after midnight."""
        return median(self.wakes) if self.wakes else None

    def usual_bedtime(self) -> float | None:
        return median(self.bedtimes) if self.bedtimes else None

    def _boundaries(self, period: float) -> None:
        start, end, _ = self.night()
        self.period = period
        self.night_end = self.clock.at_or_after(period + 1, end)
        self.next_night = self.clock.at_or_after(period + 12 * HOUR, start)

    # ---------------------------------------------------------------- time

    def begin(self, ts: float) -> None:
        """Monitoring begins at ``ts``: during a day, the resident is taken to be up."""
        start, _, _ = self.night()
        self._boundaries(self.clock.at_or_before(ts, start))
        if ts >= self.night_end:
            self.up_since = ts
            self.partial = True

    def restart(self, ts: float | None, last_seen: float | None) -> None:
        """Her bedtimes and times of getting up were learned under another time zone:
        forgotten, and the period holding ``ts`` is the new clock's. She is up if she has
        been seen since its night ended (when, this clock cannot say: that morning is not
        learned); not up in its night, nor if silent since before it ended (her morning
        is judged)."""
        self.bedtimes, self.wakes = [], []
        self._rest_from = None
        if ts is None or self.period is None:
            return
        start, _, _ = self.night()
        self._boundaries(self.clock.at_or_before(ts, start))
        self.back = self.went_to_rest = self.run = self.rest = None
        self.came_back = False
        seen = last_seen is not None and last_seen >= self.night_end
        if ts >= self.night_end and seen:
            self.up_since, self.partial = ts, True
        else:
            self.up_since, self.partial = None, False

    def due(self) -> float | None:
        """When something changes by itself: a return to bed confirmed."""
        return None if self.back is None else self.back + self.settings.rest_s

    def step(self, t: float) -> None:
        if self.back is not None and self.back + self.settings.rest_s <= t:
            # Back to bed, and not up after all; if she had come back, she still had
            # (lying down on coming home makes her next getting up no morning either).
            self.up_since, self.back, self.run = None, None, None

    def new_period(self, night_start: float) -> list[Observation]:
        observations: list[Observation] = []
        if self.up_since is not None and not self.partial:
            # Learned once the day is over, when a reordered reading can no longer
            # move the time of getting up.
            if not self.came_back:
                self._remember(self.wakes, self.clock.hours_after_midnight(self.up_since))
            went = self.went_to_rest
            if went is None and self.rest is not None:
                went = self.rest[0]
            if went is not None and MIN_REST_S <= self.up_since - went <= MAX_NIGHT_H * HOUR:
                self._remember(self.bedtimes, self.clock.hours_after_noon(went))
                observations.append(Observation("sleep", went, self.up_since))
        self._boundaries(night_start)
        self.up_since = self.back = self.went_to_rest = None
        self.partial = self.came_back = False
        self.run = self.rest = None
        return observations

    def _remember(self, values: list[float], value: float) -> None:
        values.append(value)
        del values[: -self.settings.sleep_nights]

    # ---------------------------------------------------------------- activity

    def silence(self, start: float, end: float, *, seated: bool = False) -> None:
        """No activity at home from ``start`` to ``end``: perhaps the night's rest, which
        began with the night's first long silence (a visit to the toilet splits a night,
        it does not start one), or with its longest if none was long. ``seated``: it
        began as she sat down in a chair: an evening in front of the television, not
        her night, unless no other long silence follows (she slept in the chair)."""
        if self.period is None or self.up_since is not None or end < self.period:
            return
        rest, length = self.rest, end - start
        if rest is None:
            self.rest = [start, end, seated]
            return
        rest_long = rest[1] - rest[0] >= MIN_REST_S and not (len(rest) > 2 and rest[2])
        first_long = length >= MIN_REST_S and (not rest_long or start < rest[0])
        longer = not rest_long and length > rest[1] - rest[0]
        if first_long or longer:
            self.rest = [start, end, seated]

    def tonight(self) -> float | None:
        """When she went to rest this night, as far as the bedroom shows (None if not)."""
        return self.stretch if self.excursion is None else None

    def _bedroom(self, ts: float, bedroom: bool) -> None:
        """Keep the stretch she has spent in the bedroom up to date."""
        if bedroom:
            self.bedroom_at = ts if self.bedroom_at is None else max(self.bedroom_at, ts)
            if self.stretch is None or (
                self.excursion is not None and ts - self.excursion > self.settings.excursion_s
            ):
                self.stretch = ts
            self.excursion = None
        elif self.stretch is not None and self.excursion is None:
            self.excursion = ts

    def activity(
        self, ts: float, bedroom: bool, counted_from: float | None, *, fixed: bool = True
    ) -> None:
        """Activity at ``ts`` (``bedroom``: in the bedroom only; ``fixed``: seen by a fixed
        sensor, not a wearable): is she up for the day?"""
        if fixed:
            self._bedroom(ts, bedroom)
            if self.came_back and self.up_since is not None and ts <= self.up_since:
                # A late reading from before she got up: judged again with it.
                self.came_back = self._came_back(self.up_since)
        if self.period is None or ts < self.period:
            return
        if counted_from is not None and counted_from < self.night_end <= ts:
            return  # a step count that may hold steps from before the night's end
        if self.up_since is not None:
            self._after_up(ts, bedroom)
            return
        if bedroom:
            return  # turning over in bed, the bedroom's sensor: not up
        s = self.settings
        run = self.run
        if ts < self.night_end:
            if run is not None and ts - run[1] <= s.run_gap_s:
                run[0], run[1] = min(run[0], ts), max(run[1], ts)
            else:
                self.run = [ts, ts]
            return
        self._up(ts, sustained=True)

    def went_out(self, ts: float) -> None:
        """She went out through the front door at ``ts``. In the hours before her night
        ends (``early_rise_s``) that is getting up for the day, from the activity that led
        to the door: her day must not be taken to begin when she comes back."""
        if self.period is None or ts < self.period or self.up_since is not None:
            return
        if ts >= self.night_end - self.settings.early_rise_s:
            self._up(ts, sustained=False)

    def _up(self, ts: float, *, sustained: bool) -> None:
        """Up for the day at ``ts``, or from the run of activity that led to it if that
        began early and has been going on ever since (``sustained``: for sustained_s)."""
        s, run = self.settings, self.run
        start = ts
        if (
            run is not None
            and ts - run[1] <= s.run_gap_s
            and run[0] >= self.night_end - s.early_rise_s
            and (not sustained or ts - run[0] >= s.sustained_s)
        ):
            start = min(run[0], ts)
        self.up_since, self.run = start, None
        self.went_to_rest = self.stretch
        self.came_back = self.came_back or self._came_back(start)

    def _came_back(self, up: float) -> bool:
        """Whether "up" at ``up`` is her coming back to a home she left unseen (no
        front-door sensor, nothing outside the bedroom on her way): she went into the
        bedroom longer ago than any night, has not been seen outside it since, and was
        last seen in it hours before. Her return is no morning: learned as one, it moves
        her usual time of getting up, and not_up's deadline, hours later. Not a long
        evening in the bedroom (seen there until she got up), nor a bedroom whose sensors
        fell silent (seen outside it since: that stretch is over). A silence of more than
        a night elsewhere is no proof: she may sit and sleep where no sensor sees her.
        Judged again when a late reading from before ``up`` comes (``activity``)."""
        went, left = self.stretch, self.excursion
        if self.front_door or went is None or self.bedroom_at is None:
            return False
        if left is not None and left < up:
            return False
        return up - went > MAX_NIGHT_H * HOUR and up - self.bedroom_at >= MIN_REST_S

    def _after_up(self, ts: float, bedroom: bool) -> None:
        assert self.up_since is not None
        if self.night_end <= ts < self.up_since and not bedroom:
            self.up_since = ts  # a late reading: up a little earlier than it seemed
            if self.came_back:
                self.came_back = self._came_back(ts)
            return
        if not bedroom:
            self.back = None
        elif self.back is None and ts - self.up_since <= self.settings.back_to_bed_s:
            self.back = ts
