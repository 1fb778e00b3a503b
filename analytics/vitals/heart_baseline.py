"""A resident's own resting heart rate by hour of day, learned online.

Resting heart rate differs a lot between people (55 for one, 85 for another) and through
the day (lowest asleep at 4 am). A fixed limit cannot tell that 95 bpm at 3 am is unusual
for a resident who sleeps at 58; this profile can. It is cheap: 24 buckets of a few
numbers, one update per resting reading, no history kept.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any

# A robust deviation below this is a sensor rounding artefact, not a steady heart.
MIN_DEVIATION_BPM = 2.0


@dataclass
class HourProfile:
    """Robust running statistics of the resting heart rate in one local hour of the day."""

    mean: float = 0.0
    # EWMA of |heart rate - mean|: a robust spread (about 0.8 sigma for normal data).
    deviation: float = 0.0
    readings: int = 0
    # Days on which this hour got enough resting readings to count as learned.
    days: int = 0
    day: int = -1  # local date (ordinal) being counted
    today: int = 0  # resting readings in this hour on that date


class HeartBaseline:
    """Per-hour-of-day resting heart rate: EWMA of the mean and of the absolute deviation.

    Until an hour has ``days_needed`` days of data it answers None, so a new resident gets
    no baseline alerts in the first days. Updates start as a running mean (weight 1/n) and
    settle to ``alpha``; once an hour is known, a reading's pull is clipped to ``clip``
    deviations so an abnormal episode barely moves the profile it is judged against.

    >>> from datetime import UTC, datetime, timedelta
    >>> baseline = HeartBaseline(alpha=0.01, days_needed=3, day_readings=10)
    >>> start = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    >>> for day in range(3):
    ...     for minute in range(30):
    ...         baseline.learn(start + timedelta(days=day, minutes=minute), 64 + 2 * (minute % 5))
    >>> mean, deviation = baseline.expected(start + timedelta(days=3))
    >>> round(mean), round(deviation, 1)
    (68, 2.5)
    >>> baseline.expected(start + timedelta(hours=1)) is None  # 15:00 never seen
    True
    """

    def __init__(
        self, *, alpha: float, days_needed: int, day_readings: int, clip: float = 3.0
    ) -> None:
        self.alpha = alpha
        self.days_needed = days_needed
        self.day_readings = day_readings
        self.clip = clip
        self.hours = [HourProfile() for _ in range(24)]

    def expected(self, local: datetime) -> tuple[float, float] | None:
        """(mean, robust deviation) of resting heart rate at this local hour, once learned."""
        hour = self.hours[local.hour]
        if hour.days < self.days_needed:
            return None
        return hour.mean, max(hour.deviation, MIN_DEVIATION_BPM)

    def learn(self, local: datetime, bpm: float) -> None:
        """Take one resting reading at this local time into the profile."""
        hour = self.hours[local.hour]
        day = local.toordinal()
        if day != hour.day:
            hour.day, hour.today = day, 0
        hour.today += 1
        if hour.today == self.day_readings:
            hour.days += 1
        hour.readings += 1
        if hour.readings == 1:
            hour.mean = bpm
            return
        weight = max(self.alpha, 1.0 / hour.readings)
        residual = bpm - hour.mean
        if hour.days >= 1:
            # Huber-style: a known hour only moves a little towards an outlier.
            limit = self.clip * max(hour.deviation, MIN_DEVIATION_BPM)
            residual = min(max(residual, -limit), limit)
        hour.deviation += weight * (abs(residual) - hour.deviation)
        hour.mean += weight * residual

    def forget(self) -> None:
        """Nothing learned: its hours were those of another time zone."""
        self.hours = [HourProfile() for _ in range(24)]

    def state_dict(self) -> list[list[Any]]:
        return [list(astuple(hour)) for hour in self.hours]

    def load_state(self, state: list[list[Any]]) -> None:
        if len(state) != 24:
            raise ValueError(f"a heart baseline has 24 hours, got {len(state)}")
        self.hours = [HourProfile(*hour) for hour in state]
