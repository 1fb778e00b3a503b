"""What the wearables measure of the resident's body: heart rate, SpO2, skin temperature,
steps, whether they are worn, and their batteries.

Rates follow a bracelet's usual duty cycle: heart rate each minute while worn, SpO2, skin
temperature and battery every 10 minutes, cumulative steps every 15 minutes (reset at local
midnight). Off the wrist the optical sensors have nothing to measure, so nothing is sent for
them: a 0 is bad input for the faults layer to inject, never a canonical reading.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.signal import lfilter, lfilter_zi

from .resident import DAY, HOUR, MINUTE, ResidentProfile
from .routine import DayPlan

RawReading = tuple[float, str, object]  # (seconds after midnight, metric, value)

BATTERY_LOW = 15.0  # % below which a bracelet counts as low (the battery_low incident)


@dataclass(frozen=True)
class Effort:
    hr: float  # bpm above her daytime resting rate
    steps: float  # steps per minute as a fraction of her walking cadence
    skin: float  # °C above her indoor wrist temperature
    asleep: bool = False


EFFORT: dict[str, Effort] = {
    "sleep": Effort(-12, 0, 1.0, asleep=True),
    "nap": Effort(-9, 0, 0.6, asleep=True),
    "in_bed": Effort(-8, 0, 0.8),
    "night_toilet": Effort(2, 0.05, 0.5),
    "toilet": Effort(3, 0.05, 0),
    "wash": Effort(4, 0.07, 0),
    "cook": Effort(7, 0.12, 0),
    "chores": Effort(8, 0.15, 0),
    "eat": Effort(3, 0.015, 0),
    "tv": Effort(0, 0.01, 0),
    "rest": Effort(0, 0.02, 0),
    "walk": Effort(28, 0.55, -1.5),
    "market": Effort(18, 0.3, -1.2),
    "wander": Effort(22, 0.5, -2.0),
    "lost": Effort(16, 0.3, -1.5),
    "visit": Effort(4, 0.06, -0.5),  # at a friend's, a neighbour's, mahjong
    "dance": Effort(24, 0.45, -1.5),  # square dancing after dinner
    "away": Effort(4, 0.08, -0.3),  # days at her children's
    "away_sleep": Effort(-11, 0, 0.9, asleep=True),
    "up": Effort(5, 0.1, 0.5),
    "down": Effort(14, 0, -0.3),  # on the floor after a fall: pain and fright
    "collapsed": Effort(-10, 0, 0),  # slumped, barely conscious: low-normal rate
    "long_stay": Effort(0, 0, 0),
}
ACTIVITIES = tuple(EFFORT)
_HR = np.array([EFFORT[a].hr for a in ACTIVITIES])
_STEPS = np.array([EFFORT[a].steps for a in ACTIVITIES])
_SKIN = np.array([EFFORT[a].skin for a in ACTIVITIES])
_ASLEEP = np.array([EFFORT[a].asleep for a in ACTIVITIES])

RESTING_HR = 72.0


@dataclass(frozen=True, eq=False)
class BatteryTrack:
    """Bracelet battery over the whole run, piecewise linear between knots (epoch s, %)."""

    times: np.ndarray
    levels: np.ndarray

    def level(self, t: float | np.ndarray) -> np.ndarray:
        return np.interp(t, self.times, self.levels)

    def reported(self, t: float | np.ndarray) -> np.ndarray:
        # Firmware truncates: "15 %" is shown until the level is really below 15.
        return np.clip(np.floor(self.level(t)), 1, 100)


def battery_track(
    charges: Sequence[tuple[float, float]],
    low_at: Sequence[float],
    *,
    start: float,
    end: float,
    initial: float,
    drain_per_day: float,
    charge_per_hour: float = 55.0,
) -> BatteryTrack:
    """Drain while on the wrist, charge on the charger (to full), and, before each time in
    ``low_at``, drain from the last charge just fast enough to cross 15 % at that moment:
    she stopped charging for days, and how fast a battery empties varies with use."""
    charges = sorted(charges)
    stretches = []
    for target in low_at:
        last_end = max((e for _, e in charges if e <= target), default=start)
        stretches.append((last_end, target))
    bounds = sorted(
        {start, end, *(x for c in charges for x in c), *(x for s in stretches for x in s)}
    )
    bounds = [b for b in bounds if start <= b <= end]
    times, levels = [start], [initial]
    level = initial
    stretch_rate: dict[float, float] = {}
    for a, b in pairwise(bounds):
        charging = any(s <= a < e for s, e in charges)
        if charging:
            rate = charge_per_hour / HOUR
            full_at = a + (100.0 - level) / rate
            if full_at < b:
                times.append(full_at)
                levels.append(100.0)
            level = min(100.0, level + rate * (b - a))
        else:
            rate = drain_per_day / DAY
            for s_start, target in stretches:
                if s_start <= a < target:
                    if s_start not in stretch_rate:
                        needed = (level - BATTERY_LOW) / (target - s_start)
                        stretch_rate[s_start] = float(np.clip(needed, 0.5 * rate, 2.0 * rate))
                    rate = stretch_rate[s_start]
            level = max(1.0, level - rate * (b - a))
        times.append(b)
        levels.append(level)
    return BatteryTrack(np.array(times), np.array(levels))


def bracelet_readings(
    plan: DayPlan,
    profile: ResidentProfile,
    battery: BatteryTrack,
    midnight: float,
    rng: np.random.Generator,
    *,
    first_day: bool = False,
) -> list[RawReading]:
    minutes = math.ceil(plan.length / MINUTE)
    activity = _activity_by_minute(plan, minutes)
    minute_ticks = np.arange(minutes) * MINUTE + profile.hr_phase
    worn = _worn(plan, minute_ticks)
    out: list[RawReading] = []

    heart = _heart_rate(plan, profile, activity, minute_ticks, rng)
    for t, bpm, on in zip(minute_ticks, heart, worn, strict=True):
        if on and t < plan.length:
            out.append((float(t), "heart_rate", float(bpm)))

    ticks = np.arange(0, plan.length, 10 * MINUTE) + profile.vitals_phase
    ticks = ticks[ticks < plan.length]
    tick_minutes = (ticks // MINUTE).astype(int)
    on_wrist = _worn(plan, ticks)
    spo2 = _spo2(plan, profile, activity[tick_minutes], ticks, rng)
    skin = _skin_temp(profile, activity[tick_minutes], rng)
    for t, on, oxygen, temp in zip(ticks, on_wrist, spo2, skin, strict=True):
        if on:
            out.append((float(t), "spo2", float(oxygen)))
            out.append((float(t), "skin_temp", float(temp)))

    reports = battery_ticks(plan, profile)
    levels = battery.reported(reports + midnight)
    out.extend((float(t), "battery", float(v)) for t, v in zip(reports, levels, strict=True))

    out.extend(_steps(plan, profile, activity, worn, rng))

    if first_day:
        out.append((max(0.5, profile.hr_phase - 1.0), "worn", True))
    for taken_off, put_on in plan.off_wrist:
        out.append((taken_off, "worn", False))
        out.append((put_on, "worn", True))
    return out


def battery_ticks(plan: DayPlan, profile: ResidentProfile) -> np.ndarray:
    """When the bracelet reports its battery: every 10 min, and every 5 min on the charger,
    where no heart rate keeps it inside its 600 s heartbeat."""
    ticks = np.arange(0, plan.length, 5 * MINUTE) + profile.vitals_phase % (5 * MINUTE) + 2.0
    ticks = ticks[ticks < plan.length]
    report = (np.arange(len(ticks)) % 2 == 0) | ~_worn(plan, ticks)
    return ticks[report]


def pendant_readings(
    plan: DayPlan, profile: ResidentProfile, rng: np.random.Generator
) -> list[RawReading]:
    """A belt-clip fall sensor: worn from breakfast to bedtime, on its charger overnight."""
    if plan.pendant_worn is None:
        return []
    put_on, taken_off = plan.pendant_worn
    drain = rng.uniform(5, 9) / DAY
    phase = (profile.vitals_phase * 7.0) % 300.0
    out: list[RawReading] = [(put_on, "worn", True), (taken_off, "worn", False)]
    worn_level = 100.0 - drain * (taken_off - put_on)
    for t in np.arange(phase, plan.length, 5 * MINUTE):
        if t < put_on:
            level = 100.0
        elif t < taken_off:
            level = 100.0 - drain * (t - put_on)
        else:
            level = min(100.0, worn_level + 30.0 * (t - taken_off) / HOUR)
        out.append((float(t), "battery", float(math.floor(level))))
    return out


def hr_tick(profile: ResidentProfile, t: float, *, after: bool = True) -> float:
    """The heart-rate report time at or after (or before) t: episodes start on a reading."""
    k = (
        math.ceil((t - profile.hr_phase) / MINUTE)
        if after
        else math.floor((t - profile.hr_phase) / MINUTE)
    )
    return k * MINUTE + profile.hr_phase


def vitals_tick(profile: ResidentProfile, t: float) -> float:
    """The SpO2 report time at or after t."""
    k = math.ceil((t - profile.vitals_phase) / (10 * MINUTE))
    return k * 10 * MINUTE + profile.vitals_phase


def _activity_by_minute(plan: DayPlan, minutes: int) -> np.ndarray:
    """Minute m is spent as at its first second: nothing a visit does leaks into the minutes
    before it starts (a step count must not show her up before she gets up)."""
    index = np.full(minutes, ACTIVITIES.index("sleep"))
    for visit in plan.visits:
        index[math.ceil(visit.start / MINUTE) : math.ceil(visit.end / MINUTE)] = ACTIVITIES.index(
            visit.activity
        )
    return index


def _worn(plan: DayPlan, ticks: np.ndarray) -> np.ndarray:
    worn = np.ones(len(ticks), dtype=bool)
    for taken_off, put_on in plan.off_wrist:
        worn &= ~((ticks >= taken_off) & (ticks < put_on))
    return worn


def _heart_rate(
    plan: DayPlan,
    profile: ResidentProfile,
    activity: np.ndarray,
    ticks: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    hours = ticks / HOUR
    # The body's own night dip, deepest in the small hours, on top of lying still.
    circadian = -3.0 * np.exp(-(((hours - 3.5) / 2.0) ** 2))
    target = RESTING_HR + profile.hr_offset + _HR[activity] + circadian
    # The heart follows effort with a lag of a couple of minutes, not in steps.
    alpha = 1 - math.exp(-1 / 2.0)
    smooth, _ = lfilter(
        [alpha], [1, alpha - 1], target, zi=lfilter_zi([alpha], [1, alpha - 1]) * target[0]
    )
    phi = 0.8
    wander = lfilter(
        [1], [1, -phi], rng.normal(0, profile.hr_noise * math.sqrt(1 - phi**2), len(target))
    )
    # Bounds keep ordinary life clear of the brady/tachycardia that only incidents cause.
    heart = np.clip(smooth + wander, 47, 122)
    heart = _apply_episodes(heart, ticks, plan, "heart_rate", rng)
    return np.round(heart)


def _spo2(
    plan: DayPlan,
    profile: ResidentProfile,
    activity: np.ndarray,
    ticks: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    asleep = _ASLEEP[activity]
    oxygen = profile.spo2_base - 1.0 * asleep + rng.normal(0, 0.7, len(ticks))
    oxygen = np.clip(np.round(oxygen), np.where(asleep, 94, 95), 99)
    return np.round(_apply_episodes(oxygen, ticks, plan, "spo2", rng))


def _skin_temp(
    profile: ResidentProfile, activity: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    target = profile.skin_temp_base + _SKIN[activity]
    alpha = 1 - math.exp(-1 / 2.0)  # wrist skin takes ~20 min to settle after a change
    smooth, _ = lfilter(
        [alpha], [1, alpha - 1], target, zi=lfilter_zi([alpha], [1, alpha - 1]) * target[0]
    )
    return np.round(smooth + rng.normal(0, 0.12, len(target)), 1)


def _apply_episodes(
    values: np.ndarray, ticks: np.ndarray, plan: DayPlan, metric: str, rng: np.random.Generator
) -> np.ndarray:
    values = values.copy()
    for episode in plan.episodes:
        if episode.metric != metric:
            continue
        inside = (ticks >= episode.start) & (ticks < episode.end)
        count = int(inside.sum())
        if not count:
            continue
        middle = (episode.low + episode.high) / 2
        spread = (episode.high - episode.low) / 4
        drift = lfilter([1], [1, -0.7], rng.normal(0, spread * 0.7, count))
        values[inside] = np.clip(np.round(middle + drift), episode.low, episode.high)
    return values


def _steps(
    plan: DayPlan,
    profile: ResidentProfile,
    activity: np.ndarray,
    worn: np.ndarray,
    rng: np.random.Generator,
) -> Iterable[RawReading]:
    per_minute = _STEPS[activity] * profile.cadence * rng.lognormal(0, 0.25, len(activity))
    # Walking from one room to the next: a handful of steps at every change of place.
    for before, visit in pairwise(plan.visits):
        if before.place != visit.place:
            per_minute[min(math.ceil(visit.start / MINUTE), len(per_minute) - 1)] += rng.uniform(
                8, 25
            )
    per_minute *= worn
    counted = np.concatenate([[0.0], np.cumsum(per_minute)])
    for t in np.arange(profile.steps_phase, plan.length, 15 * MINUTE):
        minute = int(t // MINUTE)
        fraction = (t - minute * MINUTE) / MINUTE
        steps = counted[minute] + per_minute[minute] * fraction
        yield (float(t), "steps", float(math.floor(steps)))
