"""Abnormal heart rate: beyond fixed limits at rest, or far from her own per-hour baseline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from ..context import HomeContext
from ..events import Event, Severity
from .episodes import Episode, Sustain, minutes
from .heart_baseline import HeartBaseline
from .vital import VitalDetector

HIGH, LOW, CRITICAL_HIGH, CRITICAL_LOW, ABOVE_BASELINE, BELOW_BASELINE = (1, 2, 4, 8, 16, 32)
LIMIT_FLAGS = HIGH | LOW | CRITICAL_HIGH | CRITICAL_LOW
# Flags that only a resting reading can carry: taken back when steps show she was moving.
REST_FLAGS = HIGH | CRITICAL_HIGH | ABOVE_BASELINE | BELOW_BASELINE


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class HeartRateSettings:
    # Fixed limits (bpm). A high rate is judged only at rest (walking explains it); a low
    # rate is abnormal whatever the resident is doing.
    high_bpm: float = Field(default=120, gt=0)
    low_bpm: float = Field(default=45, gt=0)
    critical_high_bpm: float = Field(default=150, gt=0)
    critical_low_bpm: float = Field(default=40, gt=0)
    # At rest: no walking counted for rest_s (heart rate settles within minutes). Walking
    # is a step count rising faster than walking_steps_per_min.
    rest_s: float = Field(default=600, ge=0)
    walking_steps_per_min: float = Field(default=10, ge=0)
    # Sustained: since its first reading beyond the limit, at least min_span_s and
    # min_readings beyond, this fraction of all readings beyond, no hole over max_gap_s.
    # Bracelets report about once a minute: 9 min is about 10 readings.
    min_span_s: float = Field(default=540, ge=0)
    min_readings: int = Field(default=5, ge=1)
    fraction: float = Field(default=0.75, gt=0.5, le=1)
    max_gap_s: float = Field(default=300, gt=0)
    # How far back a sustained run may have begun (also bounds memory).
    window_s: float = Field(default=1800, gt=0)
    # Cleared after clear_readings readings over clear_s, all back inside the limits by
    # hysteresis_bpm (so a rate hovering at the limit does not flap).
    clear_s: float = Field(default=300, ge=0)
    clear_readings: int = Field(default=3, ge=1)
    hysteresis_bpm: float = Field(default=5, ge=0)
    # The resident's own resting profile by local hour: alert (minor) when the resting
    # rate sits beyond baseline_k robust deviations AND baseline_min_bpm from it for
    # baseline_min_span_s; silent until an hour has baseline_days days of data (a day
    # counts with baseline_day_readings resting readings in that hour).
    baseline: bool = True
    baseline_k: float = Field(default=4, gt=0)
    baseline_min_bpm: float = Field(default=25, ge=0)
    baseline_min_span_s: float = Field(default=1200, ge=0)
    baseline_min_readings: int = Field(default=10, ge=1)
    baseline_days: int = Field(default=3, ge=1)
    baseline_day_readings: int = Field(default=10, ge=1)
    # Weight of one reading once learned: about 5 days of a resting hour (60 a day).
    baseline_alpha: float = Field(default=0.003, gt=0, le=1)

    @model_validator(mode="after")
    def _limits_in_order(self) -> HeartRateSettings:
        if not self.critical_low_bpm <= self.low_bpm < self.high_bpm <= self.critical_high_bpm:
            raise ValueError(
                "limits must satisfy critical_low_bpm <= low_bpm < high_bpm <= critical_high_bpm"
            )
        if self.window_s < max(self.min_span_s, self.baseline_min_span_s):
            raise ValueError("window_s must be at least min_span_s and baseline_min_span_s")
        return self


@dataclass(frozen=True)
class _Rule:
    flag: int
    severity: Severity
    name: str  # what the dispatcher reads: above_limit, below_baseline, ...


# Strongest first: the first rule that holds sets severity and evidence.
HEART_RULES = (
    _Rule(CRITICAL_HIGH, "critical", "above_limit"),
    _Rule(CRITICAL_LOW, "critical", "below_limit"),
    _Rule(HIGH, "major", "above_limit"),
    _Rule(LOW, "major", "below_limit"),
    _Rule(ABOVE_BASELINE, "minor", "above_baseline"),
    _Rule(BELOW_BASELINE, "minor", "below_baseline"),
)


class HeartRateDetector(VitalDetector):
    """``abnormal_heart_rate``: too high at rest, too low, or far from the resident's own
    resting rate for that hour of day, sustained; cleared when back in range for a while.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942}}))
    >>> heart = HeartRateDetector(home)
    >>> bpm = lambda ts, v: Reading(ts=ts, home="h001", device="band", metric="heart_rate",
    ...                             value=v)
    >>> events = [e for minute in range(40)
    ...           for e in heart.feed(bpm(60 * minute, 138 if minute < 25 else 80))]
    >>> [(e.state, e.severity, round(e.ts / 60)) for e in events]
    [('raised', 'major', 9), ('updated', 'major', 24), ('cleared', 'major', 30)]
    >>> events[0].evidence["summary"]
    'heart rate 138 bpm at rest for 9 min (limit 120)'
    """

    name = "heart_rate"
    kinds = ("abnormal_heart_rate",)
    metric = "heart_rate"
    recovered = "heart rate back to {value:.0f} bpm for {minutes:g} min"
    settings: HeartRateSettings

    def __init__(self, home: HomeContext):
        s = self.settings = home.settings(self.name, HeartRateSettings)
        super().__init__(home, "abnormal_heart_rate", (r.flag for r in HEART_RULES), s.window_s)
        self.baseline = HeartBaseline(
            alpha=s.baseline_alpha,
            days_needed=s.baseline_days,
            day_readings=s.baseline_day_readings,
        )
        self.limit_rule = Sustain(s.min_span_s, s.min_readings, s.fraction, s.max_gap_s)
        self.baseline_rule = Sustain(
            s.baseline_min_span_s, s.baseline_min_readings, s.fraction, s.max_gap_s
        )

    def feed(self, reading: Reading) -> list[Event]:
        if reading.metric == "worn":
            self.bracelets.note_worn(reading)
            return []
        if reading.metric == "steps":
            moved = self.bracelets.note_steps(reading, self.settings.walking_steps_per_min)
            if moved is not None:
                # Those readings were not at rest after all: walking explains them.
                self.window.unflag(*moved, REST_FLAGS)
            return []
        if reading.metric != "heart_rate":
            return []
        ts, bpm, device = reading.epoch, float(reading.value), reading.device
        if not self.bracelets.worn(device, ts):
            return []
        s = self.settings
        at_rest = self.bracelets.at_rest(device, ts, s.rest_s)
        local = self.home.local(ts)
        expected = self.baseline.expected(local) if s.baseline and at_rest else None
        flags = self._flags(bpm, at_rest, expected)
        if not self.window.add(ts, bpm, flags):
            return []
        # Learn only what is plainly a normal resting rate: not an episode being judged.
        # (A walk that a later step count reveals has been learned already: a few minutes
        # now and then, which widens the profile a little, the safe direction.)
        if at_rest and not flags & LIMIT_FLAGS and not self.condition.is_open:
            self.baseline.learn(local, bpm)
        return self._decide(ts, bpm, at_rest, expected, device)

    def _flags(self, bpm: float, at_rest: bool, expected: tuple[float, float] | None) -> int:
        s = self.settings
        flags = 0
        if at_rest and bpm > s.high_bpm:
            flags |= HIGH | (CRITICAL_HIGH if bpm > s.critical_high_bpm else 0)
        if bpm < s.low_bpm:
            flags |= LOW | (CRITICAL_LOW if bpm < s.critical_low_bpm else 0)
        if expected is not None:
            mean, deviation = expected
            far = max(s.baseline_k * deviation, s.baseline_min_bpm)
            if bpm > mean + far:
                flags |= ABOVE_BASELINE
            elif bpm < mean - far:
                flags |= BELOW_BASELINE
        return flags

    def _in_range(self, bpm: float, expected: tuple[float, float] | None) -> bool:
        s = self.settings
        margin = s.hysteresis_bpm
        if not s.low_bpm + margin <= bpm <= s.high_bpm - margin:
            return False
        if expected is None:
            return True
        mean, deviation = expected
        return abs(bpm - mean) <= max(s.baseline_k * deviation, s.baseline_min_bpm) - margin

    def _decide(
        self,
        ts: float,
        bpm: float,
        at_rest: bool,
        expected: tuple[float, float] | None,
        device: str,
    ) -> list[Event]:
        now = max(ts, self.window.newest or ts)
        recovering = self._recovering(ts, now, self._in_range(bpm, expected), device)
        if recovering is not None:
            return recovering
        for rule in HEART_RULES:
            sustain = self.limit_rule if rule.flag & LIMIT_FLAGS else self.baseline_rule
            episode = self.window.episode(rule.flag, sustain)
            if episode is not None:
                return self._hold(rule, episode, now, at_rest, device)
        return []

    def _hold(
        self, rule: _Rule, episode: Episode, now: float, at_rest: bool, device: str
    ) -> list[Event]:
        s = self.settings
        started = self._started(episode)
        median = self.window.median(since=episode.start)
        duration = minutes(now - started)
        evidence: dict[str, Any] = {
            "rule": rule.name,
            "heart_rate": round(median, 1),
            "at_rest": at_rest,
            "window_min": minutes(now - episode.start),
            "readings": episode.readings,
            "beyond": episode.flagged,
            "duration_min": duration,
            "device": device,
        }
        if rule.flag & LIMIT_FLAGS:
            limit = {
                HIGH: s.high_bpm,
                LOW: s.low_bpm,
                CRITICAL_HIGH: s.critical_high_bpm,
                CRITICAL_LOW: s.critical_low_bpm,
            }[rule.flag]
            evidence["limit"] = limit
            reference = f"limit {limit:g}"
        else:
            local = self.home.local(now)
            mean, deviation = self.baseline.expected(local) or (float("nan"), float("nan"))
            evidence.update(
                baseline=round(mean, 1), baseline_deviation=round(deviation, 1), hour=local.hour
            )
            reference = f"usual {mean:.0f} ± {deviation:.0f} at this hour"
        where = " at rest" if at_rest else ""
        evidence["summary"] = (
            f"heart rate {median:.0f} bpm{where} for {duration:g} min ({reference})"
        )
        event = self.condition.hold(now, rule.severity, evidence, started=started, device=device)
        return [event] if event else []

    def time_zone_changed(self) -> None:
        self.baseline.forget()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "baseline": self.baseline.state_dict()}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.baseline.load_state(state["baseline"])
