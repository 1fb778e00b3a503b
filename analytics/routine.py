"""Per-resident baselines, learned online from the stream: what is usual for this person.

Each baseline keeps a fixed amount of recent history (bounded memory, JSON-able state) and
answers "how long is usual?" only once it has seen enough; until then the detector that
asks uses its safe default. The detectors turn a baseline into a threshold with their own
settings (``clamp(factor x usual, lower, upper)``), so the home config tunes them per kind.

- ``GapBaseline``: for each local hour of each recent day, the longest inactivity gap (at
  home, awake) that spanned that hour. A nap from 13:10 to 15:40 counts for 13, 14 and 15.
- ``RecentValues``: the last N values of something (a wake time, a bathroom stay, an
  outing), with quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .context import HomeContext


def clamp(value: float, lower: float, upper: float) -> float:
    return max(lower, min(upper, value))


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """The q-quantile by nearest rank: an observed value, never an interpolation."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class RecentValues:
    """The last ``size`` values added, oldest overwritten first.

    >>> stays = RecentValues(3)
    >>> for minutes in (5, 9, 7, 30):
    ...     stays.add(minutes)
    >>> len(stays), stays.quantile(0.5), stays.quantile(1.0)
    (3, 9, 30)
    """

    def __init__(self, size: int):
        self.size = size
        self.values: list[float] = []
        self.position = 0  # where the next value goes once the ring is full
        self._sorted: list[float] | None = None

    def __len__(self) -> int:
        return len(self.values)

    def add(self, value: float) -> None:
        if len(self.values) < self.size:
            self.values.append(value)
        else:
            self.values[self.position] = value
            self.position = (self.position + 1) % self.size
        self._sorted = None

    def quantile(self, q: float) -> float | None:
        if not self.values:
            return None
        if self._sorted is None:
            self._sorted = sorted(self.values)
        return nearest_rank(self._sorted, q)

    def median(self) -> float | None:
        """The middle value; the mean of the middle two for an even count."""
        if not self.values:
            return None
        if self._sorted is None:
            self._sorted = sorted(self.values)
        n = len(self._sorted)
        return (self._sorted[(n - 1) // 2] + self._sorted[n // 2]) / 2

    def spread(self) -> float | None:
        """A robust standard deviation: the interquartile range / 1.349 (half the range
        below four values); unmoved by one odd day."""
        if len(self.values) < 2:
            return None
        low, high = self.quantile(0.25), self.quantile(0.75)
        if len(self.values) < 4:
            low, high = self.quantile(0.0), self.quantile(1.0)
            return (high - low) / 2  # type: ignore[operator]
        return (high - low) / 1.349  # type: ignore[operator]

    def state_dict(self) -> dict[str, Any]:
        return {"values": list(self.values), "position": self.position}

    def load_state(self, state: Mapping[str, Any]) -> None:
        values = [float(v) for v in state["values"]]
        # A smaller ring than the saved one keeps the newest values.
        self.values = values[-self.size :] if len(values) > self.size else values
        self.position = int(state["position"]) % self.size if len(self.values) == self.size else 0
        self._sorted = None


class GapBaseline:
    """Longest inactivity gap per local hour over the last ``days`` days.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "s1",
    ...     "timezone": "UTC", "resident": {"name": "A", "birth_year": 1940}}))
    >>> gaps = GapBaseline(home, days=14)
    >>> for day in range(6):  # a nap from 13:00 to 14:30 every day
    ...     gaps.record(day * 86400 + 13 * 3600, day * 86400 + 14.5 * 3600)
    >>> gaps.usual(14, min_days=5, q=0.9)
    (5400.0, 6)
    >>> gaps.usual(9, min_days=5, q=0.9)  # never seen at home and awake at 08-10
    (None, 0)
    """

    def __init__(self, home: HomeContext, days: int = 14):
        self.home = home
        self.days = days
        # local date ordinal -> 24 hourly maxima in seconds (None: not seen at home awake)
        self.table: dict[int, list[float | None]] = {}
        self.version = 0  # bumps when anything a threshold depends on changes
        self._bucket: tuple[float, float, int, int] | None = None  # start, end, day, hour

    def record(self, start: float, end: float) -> None:
        """An inactivity gap from ``start`` to ``end``: each hour it went on through is
        credited with its whole length."""
        length = end - start
        if length <= 0:
            return
        # Hours older than the window are forgotten anyway: a gap of months (or a clock
        # that jumped years ahead) must not cost an iteration per hour it went on.
        t = max(start, end - (self.days + 1) * 86400.0)
        while t < end:
            _, bucket_end, day, hour = self.bucket_of(t)
            row = self._row(day)
            if row is not None and (row[hour] is None or row[hour] < length):  # type: ignore[operator]
                row[hour] = length
                self.version += 1
            t = max(bucket_end, t + 60.0)  # a zone's odd rule must not hang the home's monitor

    def usual(
        self, hour: int, *, min_days: int, q: float, width: int = 1
    ) -> tuple[float | None, int]:
        """The q-quantile over recent days of the longest gap around ``hour`` (the hour
        and ``width`` hours either side), and on how many days that was seen; None below
        min_days."""
        maxima: list[float] = []
        for row in self.table.values():
            around = [row[h % 24] for h in range(hour - width, hour + width + 1)]
            seen = [v for v in around if v is not None]
            if seen:
                maxima.append(max(seen))
        if len(maxima) < max(1, min_days):
            return None, len(maxima)
        maxima.sort()
        return nearest_rank(maxima, q), len(maxima)

    def usual_any_hour(self, *, min_days: int, q: float) -> tuple[float | None, int]:
        """The q-quantile over recent days of each day's longest gap, whatever the hour."""
        maxima = sorted(
            max(v for v in row if v is not None)
            for row in self.table.values()
            if any(v is not None for v in row)
        )
        if len(maxima) < max(1, min_days):
            return None, len(maxima)
        return nearest_rank(maxima, q), len(maxima)

    def bucket_of(self, t: float) -> tuple[float, float, int, int]:
        bucket = self._bucket
        if bucket is not None and bucket[0] <= t < bucket[1]:
            return bucket
        local = self.home.local(t)
        # Counted back from t, not from hh:00 made an instant: where the clock goes back
        # half an hour (Lord Howe), 01:00 is 80 min before the second 01:50, and an hour
        # from it ended before t. Where it went forward half an hour within this hour, the
        # hour began at the change (its hh:00), not an hour before the next one.
        into = local.minute * 60 + local.second + local.microsecond / 1e6
        mark = local.replace(minute=0, second=0, microsecond=0).timestamp()
        start = min(t, max(t - into, mark))
        bucket = (start, t - into + 3600.0, local.toordinal(), local.hour)
        self._bucket = bucket
        return bucket

    def _row(self, day: int) -> list[float | None] | None:
        row = self.table.get(day)
        if row is not None:
            return row
        newest = max(self.table, default=day)
        if day <= newest - self.days:
            return None  # older than the window (a late reading): nothing to learn
        row = [None] * 24
        self.table[day] = row
        newest = max(newest, day)
        for old in [d for d in self.table if d <= newest - self.days]:
            del self.table[old]
        self.version += 1
        return row

    def state_dict(self) -> dict[str, Any]:
        return {"days": [[day, list(row)] for day, row in sorted(self.table.items())]}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.table = {
            int(day): [None if v is None else float(v) for v in row] for day, row in state["days"]
        }
        self.version += 1
        self._bucket = None
