"""Vital signs from the bracelet: abnormal heart rate and low blood oxygen.

Both detectors judge a *sustained* state, never one sample: optical wrist sensors spike
and drop out all the time, and a dispatcher who is called for every spike stops
listening. The rules they share:

- A reading from a bracelet that is off the wrist (``worn`` false until ``worn`` true) is
  ignored. A sensor that has no data sends none (decoding drops its zeros), so data stops.
- Sustained means: since the first abnormal reading of a run, at least ``min_span_s`` and
  ``min_readings`` abnormal, and ``fraction`` of all readings abnormal. This reads the same
  whether a bracelet reports every minute or every ten.
- A gap is neither normal nor abnormal: a hole longer than ``max_gap_s`` ends a run (what
  came before it is not evidence), and a clearing run restarts after a gap too.
- Decisions are taken when a reading arrives, never on silence: when data stops, a pending
  condition is not raised on stale data, and an open one is not cleared by silence either,
  however long. "Heart rate 140" followed by a bracelet that went quiet is not good news;
  the condition stays open until readings show the value back in range, the dispatcher
  resolves the alert, and ``device_offline`` reports the silence.
- At rest means no walking counted for ``rest_s``. Step counts come every 1-15 minutes,
  so a count that shows walking also takes the "at rest" flags back from the heart rate
  readings since the previous count.
- Late readings (a few seconds out of order) are put in place by their own timestamp; a
  repeat of a timestamp already held is a duplicate delivery and is ignored.

Cost per reading is a few comparisons and counter updates; a window (a deque of at most
``MAX_WINDOW_READINGS``) is only scanned while its counts already show enough flagged
readings, that is during an episode.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from pydantic import Field, model_validator
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from .condition import Condition
from .context import HomeContext
from .detector import Detector
from .events import Event, Severity
from .heart_baseline import HeartBaseline

# Bounds memory if a device reports far faster than once a minute (one every 5 s for 30 min).
MAX_WINDOW_READINGS = 360

# Bracelets count steps every minute to every 15 minutes.
LONGEST_STEPS_INTERVAL_S = 15 * 60

Entry = tuple[float, float, int]  # (ts, value, flags)


# --- shared machinery -------------------------------------------------------------------


@dataclass(frozen=True)
class Sustain:
    """What makes a run of flagged readings "sustained"."""

    min_span_s: float  # from the first flagged reading to the newest reading
    min_readings: int  # flagged readings, at least
    fraction: float  # of all readings since the first flagged one
    max_gap_s: float  # a longer hole in the data ends the run: it is not evidence


@dataclass(frozen=True)
class Episode:
    start: float  # the first flagged reading: when the condition began
    readings: int
    flagged: int


class Window:
    """The readings of the last ``window_s`` seconds in time order, counting each flag.

    The window is only the look-back; whether a flag is sustained is judged over the run
    since its first flagged reading, so the rule reads the same whether a bracelet
    reports every minute or every ten.
    """

    def __init__(self, window_s: float, flags: Iterable[int]):
        self.window_s = window_s
        self.entries: deque[Entry] = deque()
        self.counts = dict.fromkeys(flags, 0)

    @property
    def newest(self) -> float | None:
        return self.entries[-1][0] if self.entries else None

    def add(self, ts: float, value: float, flags: int) -> bool:
        """Add a reading; False when it was a repeat or too late to matter."""
        entries = self.entries
        entry = (ts, value, flags)
        if not entries or ts > entries[-1][0]:
            entries.append(entry)
        else:
            if ts <= entries[-1][0] - self.window_s:
                return False
            at = bisect_left(entries, ts, key=itemgetter(0))
            if entries[at][0] == ts:
                return False  # the same reading delivered twice
            entries.insert(at, entry)
        self._count(flags, 1)
        horizon = entries[-1][0] - self.window_s
        while entries[0][0] <= horizon or len(entries) > MAX_WINDOW_READINGS:
            self._count(entries.popleft()[2], -1)
        return True

    def _count(self, flags: int, step: int) -> None:
        for flag in self.counts:
            if flags & flag:
                self.counts[flag] += step

    def unflag(self, after: float, until: float, mask: int) -> None:
        """Take ``mask`` off the readings in (after, until]: news that came late."""
        entries = self.entries
        for i in range(len(entries) - 1, -1, -1):
            ts, value, flags = entries[i]
            if ts <= after:
                break
            if ts <= until and flags & mask:
                self._count(flags & mask, -1)
                entries[i] = (ts, value, flags & ~mask)

    def episode(self, flag: int, rule: Sustain) -> Episode | None:
        """The longest sustained run of ``flag`` reaching the newest reading, if any."""
        if self.counts[flag] < rule.min_readings:
            return None  # the common case: nothing to look at
        newest = previous = self.entries[-1][0]
        flagged = 0
        found = None
        # Walk back from now: every flagged reading is a candidate start.
        for readings, (ts, _, flags) in enumerate(reversed(self.entries), start=1):
            if previous - ts > rule.max_gap_s:
                break
            previous = ts
            if flags & flag:
                flagged += 1
                if (
                    newest - ts >= rule.min_span_s
                    and flagged >= rule.min_readings
                    and flagged >= rule.fraction * readings
                ):
                    found = Episode(ts, readings, flagged)
        return found

    def drop_before(self, ts: float) -> None:
        while self.entries and self.entries[0][0] < ts:
            self._count(self.entries.popleft()[2], -1)

    def median(self, since: float) -> float:
        values = [value for ts, value, _ in self.entries if ts >= since]
        return statistics.median(values) if values else float("nan")

    def state_dict(self) -> list[list[float]]:
        return [list(entry) for entry in self.entries]

    def load_state(self, entries: list[list[float]]) -> None:
        self.entries = deque((float(ts), float(value), int(flags)) for ts, value, flags in entries)
        self.counts = dict.fromkeys(self.counts, 0)
        for entry in self.entries:
            self._count(entry[2], 1)


class Recovery:
    """A run of consecutive in-range readings; an abnormal reading or a gap restarts it."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.last: float | None = None
        self.readings = 0

    def add(self, ts: float, in_range: bool, max_gap_s: float) -> None:
        if not in_range:
            # A late abnormal reading from before the run began does not contradict it.
            if self.since is None or ts >= self.since:
                self.reset()
            return
        if self.since is None or self.last is None or ts - self.last > max_gap_s:
            self.since, self.last, self.readings = ts, ts, 0
        self.since, self.last = min(self.since, ts), max(self.last, ts)
        self.readings += 1

    def lasted(self, seconds: float, readings: int) -> bool:
        if self.since is None or self.last is None:
            return False
        return self.readings >= readings and self.last - self.since >= seconds

    def reset(self) -> None:
        self.since, self.last, self.readings = None, None, 0

    def state_dict(self) -> list[Any]:
        return [self.since, self.last, self.readings]

    def load_state(self, state: list[Any]) -> None:
        self.since, self.last, self.readings = state


class Bracelets:
    """What each wearable says about itself: on the wrist or not, and its step count."""

    def __init__(self) -> None:
        # device -> [worn_ts, worn, steps_ts, steps, moved_ts]
        self.devices: dict[str, list[Any]] = {}

    def _device(self, device: str) -> list[Any]:
        return self.devices.setdefault(device, [None, True, None, None, None])

    def note_worn(self, reading: Reading) -> None:
        state = self._device(reading.device)
        ts = reading.epoch
        if state[0] is None or ts >= state[0]:
            state[0], state[1] = ts, reading.value

    def worn(self, device: str, ts: float) -> bool:
        """Worn unless the device said it was taken off before ``ts`` (no word = worn)."""
        state = self.devices.get(device)
        return state is None or state[1] or state[0] is None or ts < state[0]

    def note_steps(
        self, reading: Reading, walking_steps_per_min: float
    ) -> tuple[float, float] | None:
        """Take in a step count; returns (after, until] when it shows the resident moving.

        A few steps a minute are arm movements at the table or a shuffle to the next room,
        not effort that raises the heart rate; counts arrive every few minutes, so the
        movement happened somewhere in the interval since the previous one.
        """
        state = self._device(reading.device)
        ts, steps = reading.epoch, float(reading.value)
        previous_ts, previous = state[2], state[3]
        if previous_ts is not None and ts <= previous_ts:
            return None  # late or repeated: says nothing about now
        state[2], state[3] = ts, steps
        if previous_ts is None:
            return None
        # A lower count is the midnight reset (steps are counted since midnight).
        taken = steps - previous if steps >= previous else steps
        # After a long silence (bracelet off, out of range) the steps may all be recent:
        # spread them over no more than a usual reporting interval.
        minutes = min(ts - previous_ts, LONGEST_STEPS_INTERVAL_S) / 60
        if taken <= walking_steps_per_min * minutes:
            return None
        state[4] = ts
        return previous_ts, ts

    def at_rest(self, device: str, ts: float, rest_s: float) -> bool:
        """No walking counted in the last ``rest_s``. A bracelet that never reports steps
        cannot show activity, so its wearer counts as at rest."""
        state = self.devices.get(device)
        moved = state[4] if state else None
        return moved is None or ts - moved >= rest_s

    def state_dict(self) -> dict[str, list[Any]]:
        return {device: list(state) for device, state in self.devices.items()}

    def load_state(self, state: Mapping[str, list[Any]]) -> None:
        self.devices = {device: list(values) for device, values in state.items()}


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


# --- abnormal heart rate ----------------------------------------------------------------

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


class HeartRateDetector(Detector):
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

    def __init__(self, home: HomeContext):
        super().__init__(home)
        s = self.settings = home.settings(self.name, HeartRateSettings)
        self.condition = Condition(home.home, "abnormal_heart_rate", self.name)
        self.bracelets = Bracelets()
        self.window = Window(s.window_s, (rule.flag for rule in HEART_RULES))
        self.recovery = Recovery()
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
        s = self.settings
        if self.condition.is_open:
            # Recovery is judged on the latest readings alone: the window still holds the
            # episode's minutes, and waiting for them to age out would delay the clear.
            self.recovery.add(ts, self._in_range(bpm, expected), s.max_gap_s)
            if self.recovery.lasted(s.clear_s, s.clear_readings):
                return self._clear(now, device)
            if self.recovery.readings:
                return []  # back in range for now: no update that says it is not
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
        if self.condition.open is None:
            started = episode.start
            self.recovery.reset()
        else:
            started = self.condition.open.started
        median = self.window.median(since=episode.start)
        duration = _minutes(now - started)
        evidence: dict[str, Any] = {
            "rule": rule.name,
            "heart_rate": round(median, 1),
            "at_rest": at_rest,
            "window_min": _minutes(now - episode.start),
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

    def _clear(self, now: float, device: str) -> list[Event]:
        since = self.recovery.since or now
        median = self.window.median(since=since)
        event = self.condition.end(
            now,
            {
                "summary": f"heart rate back to {median:.0f} bpm for {_minutes(now - since):g} min",
                "heart_rate": round(median, 1),
                "normal_for_min": _minutes(now - since),
                "readings": self.recovery.readings,
                "device": device,
            },
        )
        # A new episode must be sustained on its own, not on the minutes of this one.
        self.window.drop_before(since)
        self.recovery.reset()
        return [event] if event else []

    def state_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.state_dict(),
            "bracelets": self.bracelets.state_dict(),
            "window": self.window.state_dict(),
            "recovery": self.recovery.state_dict(),
            "baseline": self.baseline.state_dict(),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
        self.bracelets.load_state(state["bracelets"])
        self.window.load_state(state["window"])
        self.recovery.load_state(state["recovery"])
        self.baseline.load_state(state["baseline"])


# --- low blood oxygen -------------------------------------------------------------------

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


class Spo2Detector(Detector):
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

    def __init__(self, home: HomeContext):
        super().__init__(home)
        s = self.settings = home.settings(self.name, Spo2Settings)
        self.condition = Condition(home.home, "low_spo2", self.name)
        self.bracelets = Bracelets()
        self.window = Window(s.window_s, (SPO2_LOW, SPO2_CRITICAL))
        self.recovery = Recovery()
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
        if self.condition.is_open:
            # Judged on the latest readings alone (see HeartRateDetector._decide).
            self.recovery.add(ts, pct >= s.clear_pct, s.max_gap_s)
            if self.recovery.lasted(s.clear_s, s.clear_readings):
                return self._clear(now, device)
            if self.recovery.readings:
                return []
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
        if self.condition.open is None:
            started = episode.start
            self.recovery.reset()
        else:
            started = self.condition.open.started
        median = self.window.median(since=episode.start)
        duration = _minutes(now - started)
        evidence = {
            "summary": f"SpO2 {median:.0f}% for {duration:g} min (limit {limit:g}%)",
            "spo2": round(median, 1),
            "limit": limit,
            "window_min": _minutes(now - episode.start),
            "readings": episode.readings,
            "below": episode.flagged,
            "duration_min": duration,
            "device": device,
        }
        event = self.condition.hold(now, severity, evidence, started=started, device=device)
        return [event] if event else []

    def _clear(self, now: float, device: str) -> list[Event]:
        since = self.recovery.since or now
        median = self.window.median(since=since)
        event = self.condition.end(
            now,
            {
                "summary": f"SpO2 back to {median:.0f}% for {_minutes(now - since):g} min",
                "spo2": round(median, 1),
                "normal_for_min": _minutes(now - since),
                "readings": self.recovery.readings,
                "device": device,
            },
        )
        self.window.drop_before(since)
        self.recovery.reset()
        return [event] if event else []

    def state_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.state_dict(),
            "bracelets": self.bracelets.state_dict(),
            "window": self.window.state_dict(),
            "recovery": self.recovery.state_dict(),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
        self.bracelets.load_state(state["bracelets"])
        self.window.load_state(state["window"])
        self.recovery.load_state(state["recovery"])
