"""Low blood oxygen: sustained below the limits, never one sample."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from ..context import HomeContext
from ..events import Event, Severity
from .episodes import Episode, Sustain, minutes
from .vital import VitalDetector

SPO2_LOW, SPO2_CRITICAL = 1, 2


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class Spo2Settings:
    low_pct: float = Field(default=90, gt=0, le=100)  # below: major
    critical_pct: float = Field(default=85, gt=0, le=100)  # below: critical
    # Sustained, not one sample: since the first reading below, at least min_span_s and
    # min_readings below, this fraction of all readings below, no hole over max_gap_s.
    # Many bracelets measure SpO2 only every 5-10 minutes, hence the long gap allowed.
    min_span_s: float = Field(default=600, ge=0)
    min_readings: int = Field(default=3, ge=1)
    fraction: float = Field(default=0.7, gt=0.5, le=1)
    max_gap_s: float = Field(default=900, gt=0)
    window_s: float = Field(default=1800, gt=0)  # how far back a run may have begun
    # Cleared after clear_readings readings at or above clear_pct over at least clear_s.
    clear_pct: float = Field(default=92, gt=0, le=100)
    clear_readings: int = Field(default=2, ge=1)
    clear_s: float = Field(default=60, ge=0)

    @model_validator(mode="after")
    def _limits_in_order(self) -> Spo2Settings:
        if not self.critical_pct <= self.low_pct <= self.clear_pct:
            raise ValueError("limits must satisfy critical_pct <= low_pct <= clear_pct")
        if self.window_s < self.min_span_s:
            raise ValueError("window_s must be at least min_span_s")
        return self


class Spo2Detector(VitalDetector):
    """``low_spo2``: blood oxygen below the limit, sustained; critical further below.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942}}))
    >>> spo2 = Spo2Detector(home)
    >>> pct = lambda ts, v: Reading(ts=ts, home="h001", device="band", metric="spo2", value=v)
    >>> values = [97, 88, 97] + [87] * 12 + [84] * 12 + [95] * 2
    >>> events = [e for minute, v in enumerate(values) for e in spo2.feed(pct(60 * minute, v))]
    >>> [(e.state, e.severity, round(e.ts / 60)) for e in events]
    [('raised', 'major', 11), ('updated', 'critical', 25), ('cleared', 'critical', 28)]
    >>> events[0].evidence["summary"]
    'SpO2 87% for 10 min (limit 90%)'
    """

    name = "spo2"
    kinds = ("low_spo2",)
    metric = "spo2"
    recovered = "SpO2 back to {value:.0f}% for {minutes:g} min"
    settings: Spo2Settings

    def __init__(self, home: HomeContext):
        s = self.settings = home.settings(self.name, Spo2Settings)
        super().__init__(home, "low_spo2", (SPO2_LOW, SPO2_CRITICAL), s.window_s)
        self.rule = Sustain(s.min_span_s, s.min_readings, s.fraction, s.max_gap_s)

    def feed(self, reading: Reading) -> list[Event]:
        if reading.metric == "worn":
            self.bracelets.note_worn(reading)
            return []
        if reading.metric != "spo2":
            return []
        ts, pct, device = reading.epoch, float(reading.value), reading.device
        if not self.bracelets.worn(device, ts):
            return []
        s = self.settings
        flags = SPO2_LOW if pct < s.low_pct else 0
        flags |= SPO2_CRITICAL if pct < s.critical_pct else 0
        if not self.window.add(ts, pct, flags):
            return []
        now = max(ts, self.window.newest or ts)
        recovering = self._recovering(ts, now, pct >= s.clear_pct, device)
        if recovering is not None:
            return recovering
        for flag, severity, limit in (
            (SPO2_CRITICAL, "critical", s.critical_pct),
            (SPO2_LOW, "major", s.low_pct),
        ):
            episode = self.window.episode(flag, self.rule)
            if episode is not None:
                return self._hold(episode, now, severity, limit, device)
        return []

    def _hold(
        self, episode: Episode, now: float, severity: Severity, limit: float, device: str
    ) -> list[Event]:
        started = self._started(episode)
        median = self.window.median(since=episode.start)
        duration = minutes(now - started)
        evidence = {
            "summary": f"SpO2 {median:.0f}% for {duration:g} min (limit {limit:g}%)",
            "spo2": round(median, 1),
            "limit": limit,
            "window_min": minutes(now - episode.start),
            "readings": episode.readings,
            "below": episode.flagged,
            "duration_min": duration,
            "device": device,
        }
        event = self.condition.hold(now, severity, evidence, started=started, device=device)
        return [event] if event else []
