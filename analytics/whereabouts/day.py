"""The resident's day: a period runs from one night start to the next. The resident is up
for the day at the first activity after the night ends, or, for an early riser, when the
run of activity that reaches past the night's end began; a night bathroom visit is
neither."""

from __future__ import annotations

import math

from .clock import NightClock
from .settings import Observation, WhereaboutsSettings
from .state import Stateful


class Day(Stateful):
    FIELDS = ("period", "up_since", "partial", "run")

    def __init__(self, settings: WhereaboutsSettings, clock: NightClock):
        self.settings = settings
        self.clock = clock
        self.period: float | None = None  # this period's night start
        self.up_since: float | None = None  # got up for the day at
        self.partial = False  # monitoring began during this period's day
        self.run: list[float] | None = None  # night activity run [start, last]
        self.derive()

    def derive(self) -> None:
        """The night's end and the next night's start, from ``period``."""
        if self.period is None:
            self.night_end = self.next_night = math.inf
        else:
            self.night_end = self.clock.night_end(self.period)
            self.next_night = self.clock.next_start(self.period)

    def load_state(self, state) -> None:  # type: ignore[no-untyped-def]
        super().load_state(state)
        self.derive()

    def begin(self, ts: float) -> None:
        """Monitoring begins at ``ts``: during a day, the resident is taken to be up."""
        self.period = self.clock.period_start(ts)
        self.derive()
        if ts >= self.night_end:
            self.up_since = ts
            self.partial = True

    def new_period(self, night_start: float) -> list[Observation]:
        observations: list[Observation] = []
        if self.up_since is not None and not self.partial:
            # Learned once the day is over, when a reordered reading can no longer
            # move the time of getting up.
            observations.append(Observation("wake", self.night_end, self.up_since))
        self.period = night_start
        self.derive()
        self.up_since = None
        self.partial = False
        self.run = None
        return observations

    def activity(self, ts: float, counted_from: float | None) -> None:
        """Activity at ``ts``: is she up for the day?"""
        if self.period is None or ts < self.period:
            return
        if counted_from is not None and counted_from < self.night_end <= ts:
            return  # a step count that may hold steps from before the night's end
        if self.up_since is not None:
            if self.night_end <= ts < self.up_since:
                self.up_since = ts  # a late reading: up a little earlier than it seemed
            return
        s = self.settings
        run = self.run
        if ts < self.night_end:
            if run is not None and ts - run[1] <= s.run_gap_s:
                run[0], run[1] = min(run[0], ts), max(run[1], ts)
            else:
                self.run = [ts, ts]
            return
        start = ts
        if (
            run is not None
            and ts - run[1] <= s.run_gap_s
            and run[0] >= self.night_end - s.early_rise_s
            and ts - run[0] >= s.sustained_s
        ):
            start = run[0]  # up early, and has been going ever since
        self.up_since, self.run = start, None
