"""Local clock times of one home in epoch seconds, and her night.

Bedtimes are kept as hours after noon (12:00 is 0, midnight 12): medians of bedtimes
around midnight then make sense; times of getting up as hours after midnight, for the
same reason around noon.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from ..context import HomeContext

HOUR = 3600.0


def after_noon(moment: time) -> float:
    hours = moment.hour + moment.minute / 60 + moment.second / 3600
    return (hours - 12) % 24


class NightClock:
    """Clock arithmetic for one home; ``prior`` is the config's night as hours after noon."""

    def __init__(self, home: HomeContext):
        self.home = home
        night = home.config.night
        self.prior = (after_noon(night.start), after_noon(night.end))

    def hours_after_noon(self, ts: float) -> float:
        return (self.hours_after_midnight(ts) - 12) % 24

    def in_span(self, ts: float, start: float, end: float, trim_start_s: float = 0.0) -> bool:
        """Whether ``ts`` falls between ``start`` and ``end`` (hours after noon; less
        ``trim_start_s`` at its start)."""
        into = (self.hours_after_noon(ts) - start) % 24
        return trim_start_s / HOUR <= into < (end - start) % 24

    def hours_after_midnight(self, ts: float) -> float:
        local = self.home.local(ts)
        return local.hour + local.minute / 60 + local.second / 3600

    def _on(self, day: datetime, hours_after_noon: float) -> float:
        noon = datetime.combine(day.date(), time(12), tzinfo=self.home.tz)
        return (noon + timedelta(hours=hours_after_noon % 24)).timestamp()

    def at_or_after(self, ts: float, hours_after_noon: float) -> float:
        """The first moment at or after ``ts`` when the clock shows that time."""
        local = self.home.local(ts)
        for shift in (-1, 0, 1):
            candidate = self._on(local + timedelta(days=shift), hours_after_noon)
            if candidate >= ts:
                return candidate
        return self._on(local + timedelta(days=2), hours_after_noon)

    def same_night(self, ts: float, hours_after_noon: float) -> float:
        """The moment the clock shows that time in the noon-to-noon span holding ``ts``
        (the same night: 00:19 belongs to the night that began at 22:30 the evening
        before, not to the day before it)."""
        noon_day = self.home.local(ts) - timedelta(hours=12)
        return self._on(noon_day, hours_after_noon)

    def at_or_before(self, ts: float, hours_after_noon: float) -> float:
        """The last moment at or before ``ts`` when the clock shows that time."""
        local = self.home.local(ts)
        for shift in (1, 0, -1):
            candidate = self._on(local + timedelta(days=shift), hours_after_noon)
            if candidate <= ts:
                return candidate
        return self._on(local - timedelta(days=2), hours_after_noon)

    def local_text(self, ts: float, reference: float | None = None) -> str:
        """'07:12', or '11-28 07:12' when not on the reference's local date."""
        moment = self.home.local(ts)
        if reference is not None and self.home.local(reference).date() != moment.date():
            return moment.strftime("%m-%d %H:%M")
        return moment.strftime("%H:%M")

    def clock_text(self, hours_after_noon: float) -> str:
        minutes = round((hours_after_noon + 12) % 24 * 60) % (24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
