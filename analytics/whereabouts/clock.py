"""The home's nights in epoch seconds: a period runs from one night start to the next."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..context import HomeContext


class NightClock:
    """Night starts and ends of one home in epoch seconds (a period: night start to the
    next night start)."""

    def __init__(self, home: HomeContext):
        self.home = home
        self.night = home.config.night

    def _at(self, day: date, which: str) -> float:
        moment = self.night.start if which == "start" else self.night.end
        return datetime.combine(day, moment, tzinfo=self.home.tz).timestamp()

    def period_start(self, ts: float) -> float:
        """The latest night start at or before ``ts``."""
        day = self.home.local(ts).date()
        start = self._at(day, "start")
        return start if start <= ts else self._at(day - timedelta(days=1), "start")

    def night_end(self, period_start: float) -> float:
        day = self.home.local(period_start).date()
        end = self._at(day, "end")
        return end if end > period_start else self._at(day + timedelta(days=1), "end")

    def next_start(self, period_start: float) -> float:
        return self._at(self.home.local(period_start).date() + timedelta(days=1), "start")
